/**
 * BSD loopback encapsulations: a 4-byte address family before the IP header.
 * LINKTYPE_NULL stores it in the byte order of the machine that wrote the file;
 * LINKTYPE_LOOP always in network byte order. The family values for IPv6
 * differ between BSDs, so all of them are accepted.
 */
export const LOOPBACK_HEADER_LEN = 4;

const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_NETBSD_OPENBSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

/** 4, 6, or 0 for another family. Families all fit in one byte. */
export function loopbackIpVersion(family: number): number {
  if (family === AF_INET) return 4;
  if (
    family === AF_INET6_NETBSD_OPENBSD ||
    family === AF_INET6_FREEBSD ||
    family === AF_INET6_DARWIN ||
    family === AF_INET6_LINUX
  ) {
    return 6;
  }
  return 0;
}

/**
 * The family from a NULL header, whichever byte order wrote it: the value is
 * small, so it sits in the first byte (little-endian writer) or the last.
 */
export function nullFamily(buf: Uint8Array, off: number): number {
  if (buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] === 0) return buf[off];
  if (buf[off] === 0 && buf[off + 1] === 0 && buf[off + 2] === 0) return buf[off + 3];
  return -1;
}

export function loopFamily(buf: Uint8Array, off: number): number {
  if (buf[off] === 0 && buf[off + 1] === 0 && buf[off + 2] === 0) return buf[off + 3];
  return -1;
}
