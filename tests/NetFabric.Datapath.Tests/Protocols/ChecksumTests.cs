using System.Buffers.Binary;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Protocols;

public class ChecksumTests
{
    /// The RFC 1071 definition, word by word, as the reference the vectorised sum must agree with.
    private static ushort Reference(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            int word = data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0);
            sum += (uint)word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    [Property(MaxTest = 300)]
    public bool Full_checksum_equals_the_RFC_1071_definition(byte[] data) => Checksum.Compute(data) == Reference(data);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(1500)]
    [InlineData(9001)]
    [InlineData(65535)]
    [InlineData(600_000)]
    public void Long_buffers_of_all_ones_sum_like_the_definition(int length)
    {
        // All-0xFF words stress the end-around carry and the vector accumulator flush.
        var data = new byte[length];
        Array.Fill(data, (byte)0xFF);
        Assert.Equal(Reference(data), Checksum.Compute(data));
        var random = new Random(length);
        random.NextBytes(data);
        Assert.Equal(Reference(data), Checksum.Compute(data));
    }

    [Property]
    public bool Sums_of_even_pieces_add_up_to_the_sum_of_the_whole(byte[] first, byte[] second)
    {
        var evenFirst = first.Length % 2 == 0 ? first : first[..^1];
        var whole = evenFirst.Concat(second).ToArray();
        return Checksum.Finish(Checksum.Sum(second, Checksum.Sum(evenFirst))) == Checksum.Compute(whole);
    }

    [Property]
    public bool A_buffer_with_its_checksum_inserted_is_valid(byte[] data)
    {
        var buffer = new byte[data.Length + (data.Length % 2) + 2];
        data.CopyTo(buffer, 2);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, Checksum.Compute(buffer));
        return Checksum.IsValid(buffer);
    }

    /// A model of the IPv4 header fields a router or NAT rewrites.
    public record Ipv4Rewrite(uint Source, uint Destination, byte Ttl, byte Tos, ushort Identification);

    [Property(MaxTest = 300)]
    public bool Incremental_update_equals_recomputation_after_IPv4_header_rewrites(uint source, uint destination, byte ttl, byte tos, ushort id, Ipv4Rewrite rewrite)
    {
        var header = new byte[20];
        Ipv4Header.Write(header, new IPv4Address(source), new IPv4Address(destination), IpProtocol.Udp, 100, ttl, tos, id);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(10));

        // Rewrite fields one at a time, updating the checksum incrementally (RFC 1624) as a datapath would.
        checksum = Checksum.Update(checksum, source, rewrite.Source);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), rewrite.Source);
        checksum = Checksum.Update(checksum, destination, rewrite.Destination);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), rewrite.Destination);
        ushort oldTtlWord = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(8));
        header[8] = rewrite.Ttl;
        checksum = Checksum.Update(checksum, oldTtlWord, BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(8)));
        ushort oldTosWord = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(0));
        header[1] = rewrite.Tos;
        checksum = Checksum.Update(checksum, oldTosWord, BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(0)));
        checksum = Checksum.Update(checksum, id, rewrite.Identification);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), rewrite.Identification);

        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), 0);
        ushort full = Checksum.Compute(header);
        // 0x0000 and 0xFFFF are the same one's-complement value; RFC 1624 eqn. 3 never yields -0 here.
        return checksum == full || (checksum ^ full) == 0xFFFF && (checksum == 0 || full == 0);
    }

    /// A model of the pseudo-header and port fields a NAT rewrites in a TCP or UDP segment.
    public record TransportRewrite(uint Source, uint Destination, ushort SourcePort, ushort DestinationPort);

    [Property(MaxTest = 300)]
    public bool Incremental_update_equals_recomputation_after_IPv4_pseudo_header_and_port_rewrites(
        uint source, uint destination, ushort sourcePort, ushort destinationPort, byte[] payload, bool tcp, TransportRewrite rewrite)
    {
        var frame = new byte[14 + 20 + 20 + payload.Length];
        var mac = new MacAddress(0x02_00_00_00_00_01);
        int length = tcp
            ? IpFrames.WriteTcp(frame, mac, mac, new IPv4Address(source), new IPv4Address(destination), sourcePort, destinationPort, 1, 2, TcpFlags.Ack, 1000, payload)
            : IpFrames.WriteUdp(frame, mac, mac, new IPv4Address(source), new IPv4Address(destination), sourcePort, destinationPort, payload);
        var segment = frame.AsSpan(34, length - 34);
        int checksumOffset = tcp ? 16 : 6;
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(checksumOffset));

        checksum = Checksum.Update(checksum, source, rewrite.Source);
        checksum = Checksum.Update(checksum, destination, rewrite.Destination);
        checksum = Checksum.Update(checksum, sourcePort, rewrite.SourcePort);
        checksum = Checksum.Update(checksum, destinationPort, rewrite.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment, rewrite.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(2), rewrite.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(checksumOffset), checksum);

        // The receiver's check: the segment plus the new pseudo-header sums to all ones
        // (for UDP, a transmitted 0xFFFF stands for a computed 0 and checks the same way).
        ulong pseudo = Checksum.PseudoHeaderSum(new IPv4Address(rewrite.Source), new IPv4Address(rewrite.Destination), tcp ? IpProtocol.Tcp : IpProtocol.Udp, segment.Length);
        return Checksum.Fold(Checksum.Sum(segment, pseudo)) == 0xFFFF;
    }

    [Property(MaxTest = 200)]
    public bool Incremental_update_equals_recomputation_after_IPv6_address_rewrites(ulong su, ulong sl, ulong du, ulong dl, ulong nu, ulong nl, byte[] payload)
    {
        var frame = new byte[14 + 40 + 8 + payload.Length];
        var mac = new MacAddress(0x02_00_00_00_00_01);
        var source = new IPv6Address(su, sl);
        var destination = new IPv6Address(du, dl);
        var newSource = new IPv6Address(nu, nl);
        int length = IpFrames.WriteUdp(frame, mac, mac, source, destination, 1000, 2000, payload);
        var segment = frame.AsSpan(54, length - 54);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(6), Checksum.Update(checksum, source, newSource));
        ulong pseudo = Checksum.PseudoHeaderSum(newSource, destination, IpProtocol.Udp, segment.Length);
        return Checksum.Fold(Checksum.Sum(segment, pseudo)) == 0xFFFF;
    }
}
