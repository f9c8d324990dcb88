#!/bin/sh
# qosmark export --format tc --device eth1 --no-cos
# policy: built-in CUPC/Jabber policy (qosmark policy show prints it)
#
# Flower filters on the clsact ingress hook of eth1. Each has its own preference, in policy
# order, and ends with a pass verdict, so the first filter that matches ends classification:
# first match wins, as in qosmark. IP packets that no rule matches take the default marking
# (the last filters).
# DSCP: pedit changes the DSCP bits only (retain 0xfc keeps ECN); csum ip4h recomputes the
# IPv4 header checksum.
# --no-cos: the 802.1p priority is left alone for every class; only the DSCP is exported.
# Frames classified: untagged, or with one 802.1Q or 802.1ad tag (the kernel has taken it off
# before ingress). Frames with two or more tags, or a 0x9100 tag, are left as they are.
# Not like qosmark: a non-first fragment carries no ports, so it takes the default marking here
# (the first filters), where qosmark gives it its first fragment's class.
# Not exported: rule "sip": inspect: sip (following SDP to classify the media streams it announces) has no tc equivalent; here media streams take the class of the port rules alone.
# Replaces every ingress filter on eth1.
#
# Rules (policy order):
#   1. sip: udp+tcp, source or destination port 5060, 5061 -> signalling (DSCP CS3 24, CoS keep)
#   2. ctiqbe: tcp, source or destination port 2748 -> signalling (DSCP CS3 24, CoS keep)
#   3. tftp: udp, source or destination port 69 -> data (DSCP keep, CoS keep)
#   4. http: tcp, source or destination port 80 -> data (DSCP keep, CoS keep)
#   5. imap: tcp, source or destination port 143 -> data (DSCP keep, CoS keep)
#   6. ldap: tcp, source or destination port 389 -> data (DSCP keep, CoS keep)
#   7. https: tcp, source or destination port 443 -> data (DSCP keep, CoS keep)
#   8. imaps: tcp, source or destination port 993 -> data (DSCP keep, CoS keep)
#   9. xmpp: tcp, source or destination port 5222 -> data (DSCP keep, CoS keep)
#   10. imap-tls: tcp, source or destination port 7993 -> data (DSCP keep, CoS keep)
#   11. ccmcip: tcp, source or destination port 8080 -> data (DSCP keep, CoS keep)
#   12. soap: tcp, source or destination port 8191 -> data (DSCP keep, CoS keep)
#   13. rtp: udp, source or destination port 16384-32766 -> voice (DSCP EF 46, CoS keep)
#   otherwise (IP): DSCP keep, CoS keep
set -e
tc qdisc replace dev eth1 clsact
tc filter del dev eth1 ingress 2>/dev/null || true

# non-first fragments: no ports -> default marking (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 1 protocol ip flower ip_flags frag/nofirstfrag action gact pass
tc filter add dev eth1 ingress pref 2 protocol ipv6 flower ip_flags frag/nofirstfrag action gact pass
tc filter add dev eth1 ingress pref 3 protocol 802.1q flower vlan_ethtype ip ip_flags frag/nofirstfrag action gact pass
tc filter add dev eth1 ingress pref 4 protocol 802.1q flower vlan_ethtype ipv6 ip_flags frag/nofirstfrag action gact pass
tc filter add dev eth1 ingress pref 5 protocol 802.1ad flower vlan_ethtype ip ip_flags frag/nofirstfrag action gact pass
tc filter add dev eth1 ingress pref 6 protocol 802.1ad flower vlan_ethtype ipv6 ip_flags frag/nofirstfrag action gact pass

# rule "sip": udp+tcp, source or destination port 5060, 5061 -> signalling (DSCP CS3 24, CoS keep)
tc filter add dev eth1 ingress pref 7 protocol ip flower ip_proto udp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 8 protocol ip flower ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 9 protocol ip flower ip_proto udp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 10 protocol ip flower ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 11 protocol ip flower ip_proto tcp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 12 protocol ip flower ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 13 protocol ip flower ip_proto tcp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 14 protocol ip flower ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 15 protocol ipv6 flower ip_proto udp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 16 protocol ipv6 flower ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 17 protocol ipv6 flower ip_proto udp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 18 protocol ipv6 flower ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 19 protocol ipv6 flower ip_proto tcp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 20 protocol ipv6 flower ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 21 protocol ipv6 flower ip_proto tcp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 22 protocol ipv6 flower ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 23 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 24 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 25 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 26 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 27 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 28 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 29 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 30 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 31 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 32 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 33 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 34 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 35 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 36 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 37 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 38 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 39 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 40 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 41 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 42 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 43 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 44 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 45 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 46 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 47 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 48 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 49 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 50 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 51 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 52 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 53 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 54 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass

# rule "ctiqbe": tcp, source or destination port 2748 -> signalling (DSCP CS3 24, CoS keep)
tc filter add dev eth1 ingress pref 55 protocol ip flower ip_proto tcp src_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 56 protocol ip flower ip_proto tcp dst_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 57 protocol ipv6 flower ip_proto tcp src_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 58 protocol ipv6 flower ip_proto tcp dst_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 59 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 60 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 61 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 62 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 63 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 64 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 2748 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 65 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 66 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 2748 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass

# rule "tftp": udp, source or destination port 69 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 67 protocol ip flower ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 68 protocol ip flower ip_proto udp dst_port 69 action gact pass
tc filter add dev eth1 ingress pref 69 protocol ipv6 flower ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 70 protocol ipv6 flower ip_proto udp dst_port 69 action gact pass
tc filter add dev eth1 ingress pref 71 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 72 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 69 action gact pass
tc filter add dev eth1 ingress pref 73 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 74 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 69 action gact pass
tc filter add dev eth1 ingress pref 75 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 76 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 69 action gact pass
tc filter add dev eth1 ingress pref 77 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 69 action gact pass
tc filter add dev eth1 ingress pref 78 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 69 action gact pass

# rule "http": tcp, source or destination port 80 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 79 protocol ip flower ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 80 protocol ip flower ip_proto tcp dst_port 80 action gact pass
tc filter add dev eth1 ingress pref 81 protocol ipv6 flower ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 82 protocol ipv6 flower ip_proto tcp dst_port 80 action gact pass
tc filter add dev eth1 ingress pref 83 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 84 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 80 action gact pass
tc filter add dev eth1 ingress pref 85 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 86 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 80 action gact pass
tc filter add dev eth1 ingress pref 87 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 88 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 80 action gact pass
tc filter add dev eth1 ingress pref 89 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 80 action gact pass
tc filter add dev eth1 ingress pref 90 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 80 action gact pass

# rule "imap": tcp, source or destination port 143 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 91 protocol ip flower ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 92 protocol ip flower ip_proto tcp dst_port 143 action gact pass
tc filter add dev eth1 ingress pref 93 protocol ipv6 flower ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 94 protocol ipv6 flower ip_proto tcp dst_port 143 action gact pass
tc filter add dev eth1 ingress pref 95 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 96 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 143 action gact pass
tc filter add dev eth1 ingress pref 97 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 98 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 143 action gact pass
tc filter add dev eth1 ingress pref 99 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 100 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 143 action gact pass
tc filter add dev eth1 ingress pref 101 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 143 action gact pass
tc filter add dev eth1 ingress pref 102 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 143 action gact pass

# rule "ldap": tcp, source or destination port 389 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 103 protocol ip flower ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 104 protocol ip flower ip_proto tcp dst_port 389 action gact pass
tc filter add dev eth1 ingress pref 105 protocol ipv6 flower ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 106 protocol ipv6 flower ip_proto tcp dst_port 389 action gact pass
tc filter add dev eth1 ingress pref 107 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 108 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 389 action gact pass
tc filter add dev eth1 ingress pref 109 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 110 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 389 action gact pass
tc filter add dev eth1 ingress pref 111 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 112 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 389 action gact pass
tc filter add dev eth1 ingress pref 113 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 389 action gact pass
tc filter add dev eth1 ingress pref 114 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 389 action gact pass

# rule "https": tcp, source or destination port 443 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 115 protocol ip flower ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 116 protocol ip flower ip_proto tcp dst_port 443 action gact pass
tc filter add dev eth1 ingress pref 117 protocol ipv6 flower ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 118 protocol ipv6 flower ip_proto tcp dst_port 443 action gact pass
tc filter add dev eth1 ingress pref 119 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 120 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 443 action gact pass
tc filter add dev eth1 ingress pref 121 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 122 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 443 action gact pass
tc filter add dev eth1 ingress pref 123 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 124 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 443 action gact pass
tc filter add dev eth1 ingress pref 125 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 443 action gact pass
tc filter add dev eth1 ingress pref 126 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 443 action gact pass

# rule "imaps": tcp, source or destination port 993 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 127 protocol ip flower ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 128 protocol ip flower ip_proto tcp dst_port 993 action gact pass
tc filter add dev eth1 ingress pref 129 protocol ipv6 flower ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 130 protocol ipv6 flower ip_proto tcp dst_port 993 action gact pass
tc filter add dev eth1 ingress pref 131 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 132 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 993 action gact pass
tc filter add dev eth1 ingress pref 133 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 134 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 993 action gact pass
tc filter add dev eth1 ingress pref 135 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 136 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 993 action gact pass
tc filter add dev eth1 ingress pref 137 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 993 action gact pass
tc filter add dev eth1 ingress pref 138 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 993 action gact pass

# rule "xmpp": tcp, source or destination port 5222 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 139 protocol ip flower ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 140 protocol ip flower ip_proto tcp dst_port 5222 action gact pass
tc filter add dev eth1 ingress pref 141 protocol ipv6 flower ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 142 protocol ipv6 flower ip_proto tcp dst_port 5222 action gact pass
tc filter add dev eth1 ingress pref 143 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 144 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 5222 action gact pass
tc filter add dev eth1 ingress pref 145 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 146 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 5222 action gact pass
tc filter add dev eth1 ingress pref 147 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 148 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 5222 action gact pass
tc filter add dev eth1 ingress pref 149 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 5222 action gact pass
tc filter add dev eth1 ingress pref 150 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 5222 action gact pass

# rule "imap-tls": tcp, source or destination port 7993 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 151 protocol ip flower ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 152 protocol ip flower ip_proto tcp dst_port 7993 action gact pass
tc filter add dev eth1 ingress pref 153 protocol ipv6 flower ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 154 protocol ipv6 flower ip_proto tcp dst_port 7993 action gact pass
tc filter add dev eth1 ingress pref 155 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 156 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 7993 action gact pass
tc filter add dev eth1 ingress pref 157 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 158 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 7993 action gact pass
tc filter add dev eth1 ingress pref 159 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 160 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 7993 action gact pass
tc filter add dev eth1 ingress pref 161 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 7993 action gact pass
tc filter add dev eth1 ingress pref 162 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 7993 action gact pass

# rule "ccmcip": tcp, source or destination port 8080 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 163 protocol ip flower ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 164 protocol ip flower ip_proto tcp dst_port 8080 action gact pass
tc filter add dev eth1 ingress pref 165 protocol ipv6 flower ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 166 protocol ipv6 flower ip_proto tcp dst_port 8080 action gact pass
tc filter add dev eth1 ingress pref 167 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 168 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 8080 action gact pass
tc filter add dev eth1 ingress pref 169 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 170 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 8080 action gact pass
tc filter add dev eth1 ingress pref 171 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 172 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 8080 action gact pass
tc filter add dev eth1 ingress pref 173 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 8080 action gact pass
tc filter add dev eth1 ingress pref 174 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 8080 action gact pass

# rule "soap": tcp, source or destination port 8191 -> data (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 175 protocol ip flower ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 176 protocol ip flower ip_proto tcp dst_port 8191 action gact pass
tc filter add dev eth1 ingress pref 177 protocol ipv6 flower ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 178 protocol ipv6 flower ip_proto tcp dst_port 8191 action gact pass
tc filter add dev eth1 ingress pref 179 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 180 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 8191 action gact pass
tc filter add dev eth1 ingress pref 181 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 182 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 8191 action gact pass
tc filter add dev eth1 ingress pref 183 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 184 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 8191 action gact pass
tc filter add dev eth1 ingress pref 185 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 8191 action gact pass
tc filter add dev eth1 ingress pref 186 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 8191 action gact pass

# rule "rtp": udp, source or destination port 16384-32766 -> voice (DSCP EF 46, CoS keep)
tc filter add dev eth1 ingress pref 187 protocol ip flower ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 188 protocol ip flower ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 189 protocol ipv6 flower ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 190 protocol ipv6 flower ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 191 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 192 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 193 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 194 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 195 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 196 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 197 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 198 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass

# default: every other IP packet -> DSCP keep, CoS keep
tc filter add dev eth1 ingress pref 199 protocol ip flower action gact pass
tc filter add dev eth1 ingress pref 200 protocol ipv6 flower action gact pass
tc filter add dev eth1 ingress pref 201 protocol 802.1q flower vlan_ethtype ip action gact pass
tc filter add dev eth1 ingress pref 202 protocol 802.1q flower vlan_ethtype ipv6 action gact pass
tc filter add dev eth1 ingress pref 203 protocol 802.1ad flower vlan_ethtype ip action gact pass
tc filter add dev eth1 ingress pref 204 protocol 802.1ad flower vlan_ethtype ipv6 action gact pass
