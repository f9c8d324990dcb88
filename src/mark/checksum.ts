/**
 * Incremental Internet checksum update, RFC 1624 equation 3:
 *
 *   HC' = ~(~HC + ~m + m')
 *
 * for one 16-bit word changing from m to m'. Equation 3 (not 2) is used so
 * that a correct checksum stays correct without the -0/+0 ambiguity, and an
 * incorrect checksum stays exactly as incorrect: the ones-complement sum of
 * the header including its checksum does not change.
 */
export function checksumAdjust(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
