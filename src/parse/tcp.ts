/**
 * TCP header (RFC 9293 section 3.1). qosmark classifies on the ports only, so
 * the parser needs the first 4 bytes; the data offset is read when present.
 */
export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_DATA_OFFSET = 12;
export const TCP_MIN_HEADER_LEN = 20;
