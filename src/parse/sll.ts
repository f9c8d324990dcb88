/**
 * Linux "cooked" capture headers (tcpdump.org linktypes/LINKTYPE_LINUX_SLL and
 * LINKTYPE_LINUX_SLL2). Both carry the frame's EtherType in a protocol field;
 * VLAN tags, when the kernel kept them, follow as in Ethernet.
 *
 * SLL (16 bytes):  packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
 * SLL2 (20 bytes): protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
 */
export const SLL_PROTOCOL = 14;
export const SLL_HEADER_LEN = 16;

export const SLL2_PROTOCOL = 0;
export const SLL2_HEADER_LEN = 20;
