export {
  createPostgresPayloadCodec,
  DEFAULT_PAYLOAD_THRESHOLD_BYTES,
  PAYLOAD_REF_ENCODING,
  PayloadBlobCorruptError,
  PayloadBlobMissingError,
  prunePayloadBlobs,
  type PostgresPayloadCodecOptions,
} from './postgres-codec';
export { createDataConverter } from './data-converter';
export { decodeUtf8, FILE_BLOB_ENCODING, FileBlobError, putFileBlob, readFileBlob } from './file-blobs';
