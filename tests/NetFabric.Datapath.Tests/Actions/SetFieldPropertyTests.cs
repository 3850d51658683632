using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Support;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Actions;

internal enum FieldAction
{
    EthernetSource,
    EthernetDestination,
    Ipv4Source,
    Ipv4Destination,
    Ipv6Source,
    Ipv6Destination,
    TransportSource,
    TransportDestination,
    DecrementTtl,
    Output,
}

/// <summary>One generated action with its operands (a MAC, an address, a port, an output port).</summary>
internal sealed record FieldActionModel(FieldAction Action, ulong Value, ulong Value2)
{
    public override string ToString() => $"{Action}({Value:x},{Value2:x})";

    public void AddTo(ActionProgramBuilder builder)
    {
        switch (Action)
        {
            case FieldAction.EthernetSource: builder.SetEthernetSource(new MacAddress(Value)); break;
            case FieldAction.EthernetDestination: builder.SetEthernetDestination(new MacAddress(Value)); break;
            case FieldAction.Ipv4Source: builder.SetIpv4Source(new IPv4Address((uint)Value)); break;
            case FieldAction.Ipv4Destination: builder.SetIpv4Destination(new IPv4Address((uint)Value)); break;
            case FieldAction.Ipv6Source: builder.SetIpv6Source(new IPv6Address(Value, Value2)); break;
            case FieldAction.Ipv6Destination: builder.SetIpv6Destination(new IPv6Address(Value, Value2)); break;
            case FieldAction.TransportSource: builder.SetTransportSource((ushort)Value); break;
            case FieldAction.TransportDestination: builder.SetTransportDestination((ushort)Value); break;
            case FieldAction.DecrementTtl: builder.DecrementTtl(); break;
            case FieldAction.Output: builder.Output((uint)Value); break;
        }
    }
}

/// <summary>What a program should do with a frame, worked out on the frame's model (which rebuilds every checksum in full).</summary>
internal sealed record ExpectedRun(List<(uint Port, byte[] Frame)> Outputs, DropReason? Drop, byte[]? TtlExpired);

public class SetFieldPropertyTests
{
    private static readonly Gen<ulong> UInt64 = ArbMap.Default.GeneratorFor<ulong>();
    private static readonly Gen<ulong> UnicastMac = UInt64.Select(v => v & 0xFEFF_FFFF_FFFFUL);

    private static Gen<FieldActionModel> Action(FieldAction action, Gen<ulong> value, Gen<ulong>? value2 = null) =>
        Gen.Zip(value, value2 ?? Gen.Constant(0UL)).Select(v => new FieldActionModel(action, v.Item1, v.Item2));

    /// <summary>Actions that fit the frame most of the time, any action now and then (to exercise Malformed).</summary>
    private static Gen<FieldActionModel> ActionFor(FrameModel frame)
    {
        var address4 = UInt64.Select(v => v & 0xFFFF_FFFF);
        var port = Gen.Choose(0, ushort.MaxValue).Select(p => (ulong)p);
        var l2 = Gen.OneOf(Action(FieldAction.EthernetSource, UnicastMac), Action(FieldAction.EthernetDestination, UInt64.Select(v => v & 0xFFFF_FFFF_FFFFUL)));
        var ipv4 = Gen.OneOf(Action(FieldAction.Ipv4Source, address4), Action(FieldAction.Ipv4Destination, address4));
        var ipv6 = Gen.OneOf(Action(FieldAction.Ipv6Source, UInt64, UInt64), Action(FieldAction.Ipv6Destination, UInt64, UInt64));
        var ports = Gen.OneOf(Action(FieldAction.TransportSource, port), Action(FieldAction.TransportDestination, port));
        var ttl = Gen.Constant(new FieldActionModel(FieldAction.DecrementTtl, 0, 0));
        var copy = Action(FieldAction.Output, Gen.Choose(1, 9).Select(p => (ulong)p));
        var fitting = frame.Kind == 2 ? Gen.OneOf(l2, frame.Ipv6 ? ipv6 : ipv4) : Gen.OneOf(l2, frame.Ipv6 ? ipv6 : ipv4, ports);
        return Gen.Frequency((12, fitting), (2, ttl), (2, copy), (1, Gen.OneOf(ipv4, ipv6, ports)));
    }

    private static readonly Gen<(FrameModel Frame, FieldActionModel[] Actions)> Case =
        FrameModel.Arbitrary().Generator.SelectMany(frame =>
            Gen.Choose(0, 7).SelectMany(count => Gen.ArrayOf(ActionFor(frame), count))
                .Select(actions => (frame, actions.Append(new FieldActionModel(FieldAction.Output, 10, 0)).ToArray())));

    /// <summary>Applies the actions to the model; every output is the model rebuilt, checksums computed in full.</summary>
    private static ExpectedRun Expect(FrameModel frame, FieldActionModel[] actions)
    {
        var outputs = new List<(uint, byte[])>();
        bool transport = frame.Kind != 2;
        foreach (var action in actions)
        {
            switch (action.Action)
            {
                case FieldAction.EthernetSource: frame = frame with { SourceMac = action.Value }; break;
                case FieldAction.EthernetDestination: frame = frame with { DestinationMac = action.Value }; break;
                case FieldAction.Ipv4Source when !frame.Ipv6: frame = frame with { Source4 = (uint)action.Value }; break;
                case FieldAction.Ipv4Destination when !frame.Ipv6: frame = frame with { Destination4 = (uint)action.Value }; break;
                case FieldAction.Ipv6Source when frame.Ipv6: frame = frame with { SourceUpper = action.Value, SourceLower = action.Value2 }; break;
                case FieldAction.Ipv6Destination when frame.Ipv6: frame = frame with { DestinationUpper = action.Value, DestinationLower = action.Value2 }; break;
                case FieldAction.TransportSource when transport: frame = frame with { SourcePort = (ushort)action.Value }; break;
                case FieldAction.TransportDestination when transport: frame = frame with { DestinationPort = (ushort)action.Value }; break;
                case FieldAction.DecrementTtl:
                    if (frame.Ttl <= 1) return new ExpectedRun(outputs, null, frame.Build());
                    frame = frame with { Ttl = (byte)(frame.Ttl - 1) };
                    break;
                case FieldAction.Output: outputs.Add(((uint)action.Value, frame.Build())); break;
                default: return new ExpectedRun(outputs, DropReason.Malformed, null);
            }
        }
        return new ExpectedRun(outputs, null, null);
    }

    [Property(MaxTest = 1000)]
    public Property Set_field_programs_leave_every_checksum_equal_to_a_full_recomputation_and_every_other_byte_unchanged() =>
        Prop.ForAll(Arb.From(Case), c =>
        {
            var builder = ActionProgram.CreateBuilder();
            foreach (var action in c.Actions) action.AddTo(builder);
            var program = builder.Build();
            var expected = Expect(c.Frame, c.Actions);

            var sink = ActionRunner.Run(program, c.Frame.Build());

            Assert.Equal(expected.Outputs.Count, sink.Outputs.Count);
            for (int i = 0; i < expected.Outputs.Count; i++)
            {
                Assert.Equal(expected.Outputs[i].Port, sink.Outputs[i].Port);
                Assert.Equal(Convert.ToHexString(expected.Outputs[i].Frame), Convert.ToHexString(sink.Outputs[i].Frame));
            }
            if (expected.Drop is DropReason reason) Assert.Equal([reason], sink.Drops);
            else Assert.Empty(sink.Drops);
            if (expected.TtlExpired is byte[] resolved)
            {
                var (why, frame) = Assert.Single(sink.Resolved);
                Assert.Equal(ResolverReason.TtlExpired, why);
                Assert.Equal(Convert.ToHexString(resolved), Convert.ToHexString(frame));
            }
            else
            {
                Assert.Empty(sink.Resolved);
            }
            // Independent of the model: every checksum of every output verifies.
            foreach (var output in sink.Outputs) AssertChecksumsValid(output.Frame);
        });

    /// <summary>Verifies the IPv4 header checksum and the TCP/UDP/ICMP checksum of an untunnelled frame by summing it in full.</summary>
    internal static void AssertChecksumsValid(byte[] frame)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        if (ethernet.EtherType == EtherType.IPv4)
        {
            Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
            Assert.True(ip.IsChecksumValid, "IPv4 header checksum");
            ulong pseudo = ip.Protocol == IpProtocol.Icmp ? 0 : Checksum.PseudoHeaderSum(ip.Source, ip.Destination, ip.Protocol, ip.Payload.Length);
            Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(ip.Payload, pseudo)));
        }
        else
        {
            Assert.True(Ipv6Header.TryRead(ethernet.Payload, out var ip));
            Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(ip.Payload, Checksum.PseudoHeaderSum(ip.Source, ip.Destination, ip.NextHeader, ip.Payload.Length))));
        }
    }
}
