export {
  createPostgresPayloadCodec,
  DEFAULT_PAYLOAD_THRESHOLD_BYTES,
  PAYLOAD_REF_ENCODING,
  PayloadBlobCorruptError,
  PayloadBlobMissingError,
  type PostgresPayloadCodecOptions,
} from './postgres-codec';
