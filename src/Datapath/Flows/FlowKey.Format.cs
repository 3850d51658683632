using System.Globalization;
using System.Text;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Flows;

public partial struct FlowKey
{
    /// <summary>
    /// Formats the key in Open vSwitch's match syntax (<c>in_port=1,dl_src=…,nw_proto=17,tp_dst=53</c>),
    /// naming only the fields that the parsed layers define. Allocates: for diagnostics, not the hot path.
    /// </summary>
    public override readonly string ToString()
    {
        var text = new StringBuilder();
        void Add(string name, object value)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(name).Append('=').Append(string.Format(CultureInfo.InvariantCulture, "{0}", value));
        }
        string Hex(int value) => "0x" + value.ToString("x4", CultureInfo.InvariantCulture);

        Add("in_port", InPort);
        if (TunnelId != 0 || TunnelSource != default || TunnelDestination != default)
        {
            Add("tun_id", "0x" + TunnelId.ToString("x", CultureInfo.InvariantCulture));
            Add("tun_src", TunnelSource);
            Add("tun_dst", TunnelDestination);
        }
        if (Layers >= FlowKeyLayers.Ethernet)
        {
            Add("dl_src", EthernetSource);
            Add("dl_dst", EthernetDestination);
            if (OuterVlanTci != 0) Add("outer_vlan_tci", Hex(OuterVlanTci));
            if (VlanTci != 0) Add("vlan_tci", Hex(VlanTci));
            Add("dl_type", Hex(EtherType));
        }
        if (Layers >= FlowKeyLayers.Network)
        {
            switch (EtherType)
            {
                case Protocols.EtherType.Arp:
                    Add("arp_op", NetworkProtocol);
                    Add("arp_spa", Ipv4Source);
                    Add("arp_tpa", Ipv4Destination);
                    Add("arp_sha", ArpSourceHardware);
                    Add("arp_tha", ArpTargetHardware);
                    break;
                case Protocols.EtherType.IPv4:
                    Add("nw_src", Ipv4Source);
                    Add("nw_dst", Ipv4Destination);
                    break;
                default:
                    Add("ipv6_src", NetworkSource);
                    Add("ipv6_dst", NetworkDestination);
                    Add("ipv6_label", "0x" + Ipv6FlowLabel.ToString("x5", CultureInfo.InvariantCulture));
                    break;
            }
            if (EtherType != Protocols.EtherType.Arp)
            {
                Add("nw_proto", NetworkProtocol);
                Add("nw_tos", NetworkTos);
                Add("nw_ttl", NetworkTtl);
                Add("nw_frag", Fragment switch { FlowFragment.First => "first", FlowFragment.Later => "later", _ => "no" });
            }
        }
        if (Layers >= FlowKeyLayers.Transport)
        {
            if (NetworkProtocol is IpProtocol.Icmp or IpProtocol.IcmpV6)
            {
                Add("icmp_type", IcmpType);
                Add("icmp_code", IcmpCode);
                if (ArpSourceHardware != default) Add("nd_sll", ArpSourceHardware);
                if (ArpTargetHardware != default) Add("nd_tll", ArpTargetHardware);
            }
            else
            {
                Add("tp_src", TransportSource);
                Add("tp_dst", TransportDestination);
                if (NetworkProtocol == IpProtocol.Tcp) Add("tcp_flags", Hex(TcpFlags));
            }
        }
        if (Malformed) Add("malformed", "yes");
        return text.ToString();
    }
}
