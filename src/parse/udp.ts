/** UDP header (RFC 768): source port, destination port, length, checksum. */
export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_HEADER_LEN = 8;
