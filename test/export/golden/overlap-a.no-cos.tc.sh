#!/bin/sh
# qosmark export --format tc --device eth1 --no-cos
# policy: test/export/policies/overlap-a.yaml
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
# Not exported: rule "sip-to-server": inspect: sip (following SDP to classify the media streams it announces) has no tc equivalent; here media streams take the class of the port rules alone.
# Replaces every ingress filter on eth1.
#
# Rules (policy order):
#   1. sip-to-server: udp+tcp, destination port 5060, 5061 -> signalling (DSCP CS3 24, CoS keep)
#   2. media-low: udp, source port 20000-20005 -> video (DSCP AF41 34, CoS keep)
#   3. media: udp, source or destination port 16384-32766 -> voice (DSCP EF 46, CoS keep)
#   4. sip-from-server: udp+tcp, source port 5060-5061 -> pass (DSCP keep, CoS keep)
#   5. web: tcp, source or destination port 80, 443, 8000-8999 -> bulk (DSCP AF11 10, CoS keep)
#   6. catch-high: tcp+udp, source port 49152-49160, 69 -> odd (DSCP 13, CoS keep)
#   otherwise (IP): DSCP CS0 0, CoS keep
set -e
tc qdisc replace dev eth1 clsact
tc filter del dev eth1 ingress 2>/dev/null || true

# non-first fragments: no ports -> default marking (DSCP CS0 0, CoS keep)
tc filter add dev eth1 ingress pref 1 protocol ip flower ip_flags frag/nofirstfrag action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 2 protocol ipv6 flower ip_flags frag/nofirstfrag action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass
tc filter add dev eth1 ingress pref 3 protocol 802.1q flower vlan_ethtype ip ip_flags frag/nofirstfrag action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 4 protocol 802.1q flower vlan_ethtype ipv6 ip_flags frag/nofirstfrag action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass
tc filter add dev eth1 ingress pref 5 protocol 802.1ad flower vlan_ethtype ip ip_flags frag/nofirstfrag action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 6 protocol 802.1ad flower vlan_ethtype ipv6 ip_flags frag/nofirstfrag action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass

# rule "sip-to-server": udp+tcp, destination port 5060, 5061 -> signalling (DSCP CS3 24, CoS keep)
tc filter add dev eth1 ingress pref 7 protocol ip flower ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 8 protocol ip flower ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 9 protocol ip flower ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 10 protocol ip flower ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 11 protocol ipv6 flower ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 12 protocol ipv6 flower ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 13 protocol ipv6 flower ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 14 protocol ipv6 flower ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 15 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 16 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 17 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 18 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 19 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 20 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 21 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 22 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 23 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 24 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 25 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 5060 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 26 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 5061 action pedit ex munge ip dsfield set 0x60 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 27 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 28 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 29 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 5060 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass
tc filter add dev eth1 ingress pref 30 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 5061 action pedit ex munge ip6 traffic_class set 0x60 retain 0xfc pass

# rule "media-low": udp, source port 20000-20005 -> video (DSCP AF41 34, CoS keep)
tc filter add dev eth1 ingress pref 31 protocol ip flower ip_proto udp src_port 20000-20005 action pedit ex munge ip dsfield set 0x88 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 32 protocol ipv6 flower ip_proto udp src_port 20000-20005 action pedit ex munge ip6 traffic_class set 0x88 retain 0xfc pass
tc filter add dev eth1 ingress pref 33 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 20000-20005 action pedit ex munge ip dsfield set 0x88 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 34 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 20000-20005 action pedit ex munge ip6 traffic_class set 0x88 retain 0xfc pass
tc filter add dev eth1 ingress pref 35 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 20000-20005 action pedit ex munge ip dsfield set 0x88 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 36 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 20000-20005 action pedit ex munge ip6 traffic_class set 0x88 retain 0xfc pass

# rule "media": udp, source or destination port 16384-32766 -> voice (DSCP EF 46, CoS keep)
tc filter add dev eth1 ingress pref 37 protocol ip flower ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 38 protocol ip flower ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 39 protocol ipv6 flower ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 40 protocol ipv6 flower ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 41 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 42 protocol 802.1q flower vlan_ethtype ip ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 43 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 44 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 45 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 46 protocol 802.1ad flower vlan_ethtype ip ip_proto udp dst_port 16384-32766 action pedit ex munge ip dsfield set 0xb8 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 47 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass
tc filter add dev eth1 ingress pref 48 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp dst_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass

# rule "sip-from-server": udp+tcp, source port 5060-5061 -> pass (DSCP keep, CoS keep)
tc filter add dev eth1 ingress pref 49 protocol ip flower ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 50 protocol ip flower ip_proto tcp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 51 protocol ipv6 flower ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 52 protocol ipv6 flower ip_proto tcp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 53 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 54 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 55 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 56 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 57 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 58 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 59 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 5060-5061 action gact pass
tc filter add dev eth1 ingress pref 60 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 5060-5061 action gact pass

# rule "web": tcp, source or destination port 80, 443, 8000-8999 -> bulk (DSCP AF11 10, CoS keep)
tc filter add dev eth1 ingress pref 61 protocol ip flower ip_proto tcp src_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 62 protocol ip flower ip_proto tcp dst_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 63 protocol ip flower ip_proto tcp src_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 64 protocol ip flower ip_proto tcp dst_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 65 protocol ip flower ip_proto tcp src_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 66 protocol ip flower ip_proto tcp dst_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 67 protocol ipv6 flower ip_proto tcp src_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 68 protocol ipv6 flower ip_proto tcp dst_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 69 protocol ipv6 flower ip_proto tcp src_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 70 protocol ipv6 flower ip_proto tcp dst_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 71 protocol ipv6 flower ip_proto tcp src_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 72 protocol ipv6 flower ip_proto tcp dst_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 73 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 74 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 75 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 76 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 77 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 78 protocol 802.1q flower vlan_ethtype ip ip_proto tcp dst_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 79 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 80 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 81 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 82 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 83 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 84 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp dst_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 85 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 86 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 80 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 87 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 88 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 443 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 89 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 90 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp dst_port 8000-8999 action pedit ex munge ip dsfield set 0x28 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 91 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 92 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 80 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 93 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 94 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 443 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 95 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass
tc filter add dev eth1 ingress pref 96 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp dst_port 8000-8999 action pedit ex munge ip6 traffic_class set 0x28 retain 0xfc pass

# rule "catch-high": tcp+udp, source port 49152-49160, 69 -> odd (DSCP 13, CoS keep)
tc filter add dev eth1 ingress pref 97 protocol ip flower ip_proto tcp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 98 protocol ip flower ip_proto tcp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 99 protocol ip flower ip_proto udp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 100 protocol ip flower ip_proto udp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 101 protocol ipv6 flower ip_proto tcp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 102 protocol ipv6 flower ip_proto tcp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 103 protocol ipv6 flower ip_proto udp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 104 protocol ipv6 flower ip_proto udp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 105 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 106 protocol 802.1q flower vlan_ethtype ip ip_proto tcp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 107 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 108 protocol 802.1q flower vlan_ethtype ip ip_proto udp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 109 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 110 protocol 802.1q flower vlan_ethtype ipv6 ip_proto tcp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 111 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 112 protocol 802.1q flower vlan_ethtype ipv6 ip_proto udp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 113 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 114 protocol 802.1ad flower vlan_ethtype ip ip_proto tcp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 115 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 49152-49160 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 116 protocol 802.1ad flower vlan_ethtype ip ip_proto udp src_port 69 action pedit ex munge ip dsfield set 0x34 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 117 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 118 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto tcp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 119 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 49152-49160 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass
tc filter add dev eth1 ingress pref 120 protocol 802.1ad flower vlan_ethtype ipv6 ip_proto udp src_port 69 action pedit ex munge ip6 traffic_class set 0x34 retain 0xfc pass

# default: every other IP packet -> DSCP CS0 0, CoS keep
tc filter add dev eth1 ingress pref 121 protocol ip flower action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 122 protocol ipv6 flower action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass
tc filter add dev eth1 ingress pref 123 protocol 802.1q flower vlan_ethtype ip action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 124 protocol 802.1q flower vlan_ethtype ipv6 action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass
tc filter add dev eth1 ingress pref 125 protocol 802.1ad flower vlan_ethtype ip action pedit ex munge ip dsfield set 0x00 retain 0xfc pipe action csum ip4h pass
tc filter add dev eth1 ingress pref 126 protocol 802.1ad flower vlan_ethtype ipv6 action pedit ex munge ip6 traffic_class set 0x00 retain 0xfc pass
