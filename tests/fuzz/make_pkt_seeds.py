#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_pkt: one small Ethernet frame per file.

Run from anywhere: /usr/bin/python3 tests/fuzz/make_pkt_seeds.py
The output is deterministic, so re-running it leaves the committed seeds as
they are unless this list changes.
"""
import os

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, TCPerror
from scapy.layers.inet6 import (
    ICMPv6DestUnreach, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
)
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.layers.l2 import ARP, GRE, Dot1AD, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Raw

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pkt")
E = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
SIP = b"SERVICE sip:serviceserver@cucm02.example.local SIP/2.0\r\nContent-Length: 0\r\n\r\n"

SEEDS = {
    "v4_tcp_opts": Ether(**E) / IP(src="64.100.0.10", dst="10.0.30.2", id=1)
    / TCP(sport=7003, dport=27901, flags="PA", seq=1, ack=2,
          options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]) / SIP,
    "v4_ipopts_udp": Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2", id=2,
                                    options=b"\x94\x04\x00\x00")
    / UDP(sport=5060, dport=5060) / SIP,
    "vlan_v4_udp": Ether(**E) / Dot1Q(vlan=100) / IP(src="10.0.0.1", dst="10.0.0.2", id=3)
    / UDP(sport=5060, dport=5062) / b"OPTIONS",
    "qinq_v4_tcp_syn": Ether(**E) / Dot1AD(vlan=200) / Dot1Q(vlan=300)
    / IP(src="10.0.30.2", dst="64.100.0.10", id=4) / TCP(sport=27901, dport=4401, flags="S"),
    "v4_frag_first": Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2", id=5, flags="MF")
    / UDP(sport=5060, dport=5060, len=1000) / SIP,
    "v4_frag_later": Ether(**E) / IP(src="10.0.0.1", dst="10.0.0.2", id=5, frag=185, proto=17)
    / b"tail of the message",
    "v4_icmp_unreach": Ether(**E) / IP(src="10.0.30.1", dst="10.0.30.2", id=6)
    / ICMP(type=3, code=3) / IPerror(src="10.0.30.2", dst="64.100.0.10", id=7)
    / TCPerror(sport=27901, dport=4401, flags="S"),
    "v6_tcp": Ether(**E) / IPv6(src="2001:db8::c", dst="2001:db8::e")
    / TCP(sport=5061, dport=41000, flags="SA") / b"x",
    "v6_ext_udp": Ether(**E) / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt()
    / UDP(sport=5060, dport=5060) / SIP,
    "v6_frag_first": Ether(**E) / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / IPv6ExtHdrFragment(id=0xdeadbeef, m=1, nh=17) / UDP(sport=5060, dport=5060) / SIP,
    "v6_icmp_unreach": Ether(**E) / IPv6(src="2001:db8::1", dst="2001:db8::c")
    / ICMPv6DestUnreach(code=4)
    / IPv6(src="2001:db8::c", dst="2001:db8::e") / TCP(sport=33000, dport=5061, flags="S"),
    "arp": Ether(**E) / ARP(psrc="10.0.0.1", pdst="10.0.0.2"),
    "unknown_mpls": Ether(**E, type=0x8847) / Raw(b"\x00\x01\x01\x40" + b"\x45" + b"\x00" * 19),
    # an offloading host's capture: IPv4 header checksum 0x0000
    "v4_zero_csum": Ether(**E) / IP(src="127.0.0.1", dst="127.0.0.1", id=9, chksum=0)
    / TCP(sport=59809, dport=5060, flags="PA") / SIP,
    # tunnels (np_tunnel.h), each around a SIP frame
    "gre_teb_key": Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2", id=10)
    / GRE(key_present=1, key=1, proto=0x6558) / Ether(**E)
    / IP(src="10.0.30.2", dst="64.100.0.10", id=11) / UDP(sport=5060, dport=5060) / SIP,
    "gre_ipv6_payload": Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2", id=12)
    / GRE(chksum_present=1, seqnum_present=1, sequence_number=3, proto=0x86dd)
    / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5060, dport=5060) / SIP,
    "erspan2": Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2", id=13)
    / GRE(seqnum_present=1, sequence_number=1, proto=0x88be) / ERSPAN_II(ver=1, session_id=5)
    / Ether(**E) / IP(src="10.0.30.2", dst="64.100.0.10", id=14)
    / TCP(sport=27901, dport=7003, flags="PA") / SIP,
    "erspan3_sub": Ether(**E) / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / GRE(seqnum_present=1, sequence_number=2, proto=0x22eb) / ERSPAN_III(session_id=6, o=1)
    / ERSPAN_PlatformSpecific() / Ether(**E) / IP(src="10.0.30.2", dst="64.100.0.10", id=15)
    / TCP(sport=27901, dport=7003, flags="PA") / SIP,
    "vxlan": Ether(**E) / IP(src="192.0.2.1", dst="192.0.2.2", id=16)
    / UDP(sport=49152, dport=4789) / VXLAN(vni=100) / Ether(**E)
    / IP(src="10.0.10.2", dst="64.100.0.10", id=17) / TCP(sport=7003, dport=4401, flags="S"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, pkt in SEEDS.items():
        data = bytes(pkt)
        if len(data) < 60:
            data += b"\x00" * (60 - len(data))  # Ethernet minimum, as on the wire
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin {len(data)} bytes")


if __name__ == "__main__":
    main()
