using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Protocols;
using NetFabric.Datapath.Tests.Support;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Actions;

public class BadInputTests
{
    private static readonly TunnelTemplate Vxlan6 =
        TunnelTemplate.Vxlan(new MacAddress(1), new MacAddress(2), IPv6Address.Parse("2001:db8::1"), IPv6Address.Parse("2001:db8::2"), 9);

    /// <summary>Programs that between them use every action on whatever the frame is.</summary>
    private static readonly ActionProgram[] Programs =
    [
        ActionProgram.CreateBuilder().SetEthernetSource(new MacAddress(1)).SetEthernetDestination(new MacAddress(2)).DecrementTtl().Output(1).Build(),
        ActionProgram.CreateBuilder().SetIpv4Source(new IPv4Address(1)).SetIpv4Destination(new IPv4Address(2)).SetTransportSource(3).SetTransportDestination(4).Output(1).Build(),
        ActionProgram.CreateBuilder().SetIpv6Source(IPv6Address.Parse("::1")).SetIpv6Destination(IPv6Address.Parse("::2")).DecrementTtl().SetTransportDestination(4).Output(1).Build(),
        ActionProgram.CreateBuilder().Output(2).SetVlan(5).PopVlan().PushVlan(6).PopVlan().PopVlan().DecrementTtl().Output(1).Build(),
        ActionProgram.CreateBuilder().Decapsulate().SetIpv4Destination(new IPv4Address(7)).Output(1).Build(),
        ActionProgram.CreateBuilder().Encapsulate(Vxlan6).Decapsulate().Decapsulate().ToResolver().Build(),
    ];

    private static readonly Gen<byte> BoundaryByte = Gen.OneOf(
        Gen.Elements<byte>(0, 1, 4, 5, 6, 8, 17, 20, 0x40, 0x45, 0x4F, 0x50, 0x60, 0x80, 0xFF, 58, 44, 43, 60, 51, 0x81, 0x88, 0xA8, 0x86, 0xDD, 0x12, 0xB5, 0x17, 0xC1),
        ArbMap.Default.GeneratorFor<byte>());

    private static void RunAll(byte[] frame)
    {
        foreach (var program in Programs)
        {
            var sink = ActionRunner.Run(program, frame);
            Assert.True(sink.Calls >= 1);
            Assert.All(sink.Drops, reason => Assert.Contains(reason, new[] { DropReason.Malformed, DropReason.NoHeadroom }));
        }
    }

    [Property(MaxTest = 1000)]
    public void Programs_on_arbitrary_bytes_never_throw_and_drop_what_they_cannot_handle_as_malformed(byte[] bytes) => RunAll(bytes);

    [Property(MaxTest = 300)]
    public Property Programs_on_every_truncation_of_mutated_valid_frames_never_throw() =>
        Prop.ForAll(FrameModel.Arbitrary(), Arb.From(Gen.ArrayOf(Gen.Zip(Gen.Choose(12, 80), BoundaryByte), 3)), (model, mutations) =>
        {
            var frame = model.Build();
            foreach (var (position, value) in mutations) frame[position % frame.Length] = value;
            for (int length = 0; length <= frame.Length; length++) RunAll(frame[..length]);
        });

    [Property(MaxTest = 100)]
    public Property Decapsulate_on_every_truncation_of_mutated_tunnel_frames_never_throws() =>
        Prop.ForAll(Arb.From(TunnelModels.AnyTunnelFrame), Arb.From(Gen.ArrayOf(Gen.Zip(Gen.Choose(0, 120), BoundaryByte), 2)), (tunnelFrame, mutations) =>
        {
            foreach (var (position, value) in mutations) tunnelFrame[position % tunnelFrame.Length] = value;
            for (int length = 0; length <= tunnelFrame.Length; length++) RunAll(tunnelFrame[..length]);
        });
}
