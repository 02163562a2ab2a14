export { type BencodeEntry, decodeBencode, decodeBencodeEntries } from './decode.js'
export { encodeBencode } from './encode.js'
export {
  BENCODE_INT_MAX,
  BENCODE_INT_MIN,
  type BencodeDecodeOptions,
  type BencodeDict,
  type BencodeEncodeOptions,
  type BencodeInput,
  type BencodeInputDict,
  type BencodeInputMap,
  type BencodeValue,
} from './types.js'
