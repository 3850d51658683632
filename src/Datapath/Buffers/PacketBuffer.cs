using System.Runtime.CompilerServices;
using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Buffers;

/// <summary>
/// A handle to one packet in native memory: a fixed-size buffer with headroom in front of the frame (room to
/// push tunnel headers without copying), the frame's length, the port it arrived on, its tunnel metadata and a
/// flow hash. Copying the handle does not copy the packet. Exactly one stage owns a buffer at a time: whoever
/// received it from <see cref="PacketPool.TryRent(out PacketBuffer)"/> or a port's <c>RxBurst</c> must hand it
/// on (a port's <c>TxBurst</c>) or <see cref="Release"/> it.
/// </summary>
/// <remarks>
/// Members are allocation-free and not thread-safe: the owner alone touches the buffer. Using a handle after it
/// was released is a bug the type cannot detect (the memory stays valid while the pool lives).
/// </remarks>
public readonly unsafe struct PacketBuffer : IEquatable<PacketBuffer>
{
    internal readonly PacketDescriptor* Descriptor;

    internal PacketBuffer(PacketDescriptor* descriptor) => Descriptor = descriptor;

    /// <summary>True for the default handle, which refers to no buffer.</summary>
    public bool IsNull => Descriptor == null;

    /// <summary>The frame's bytes.</summary>
    public Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Descriptor->Buffer + Descriptor->DataOffset, Descriptor->Length);
    }

    /// <summary>The frame's length in bytes.</summary>
    public int Length => Descriptor->Length;

    /// <summary>Bytes free in front of the frame (for <see cref="TryPrepend"/>).</summary>
    public int Headroom => Descriptor->DataOffset;

    /// <summary>Bytes free after the frame (for <see cref="TrySetLength"/>).</summary>
    public int Tailroom => Descriptor->Capacity - Descriptor->DataOffset - Descriptor->Length;

    /// <summary>The whole writable area after the frame's start: <see cref="Length"/> plus <see cref="Tailroom"/> bytes.</summary>
    public Span<byte> Writable => new(Descriptor->Buffer + Descriptor->DataOffset, Descriptor->Capacity - Descriptor->DataOffset);

    /// <summary>The port the packet arrived on (set by ports on receive).</summary>
    public uint InPort
    {
        get => Descriptor->InPort;
        set => Descriptor->InPort = value;
    }

    /// <summary>A hash of the packet's flow, set by whoever computed one (0 when none).</summary>
    public uint FlowHash
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Descriptor->Flags & PacketDescriptor.FlagFlowHash) != 0 ? Descriptor->FlowHash : 0;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set
        {
            Descriptor->FlowHash = value;
            Descriptor->Flags |= PacketDescriptor.FlagFlowHash;
        }
    }

    /// <summary>Receive timestamp in nanoseconds since the Unix epoch (0 when the port does not stamp).</summary>
    public long Timestamp
    {
        get => (Descriptor->Flags & PacketDescriptor.FlagTimestamp) != 0 ? Descriptor->Timestamp : 0;
        set
        {
            Descriptor->Timestamp = value;
            Descriptor->Flags |= PacketDescriptor.FlagTimestamp;
        }
    }

    /// <summary>The tunnel the packet arrived through (set by decapsulation; the default when none).</summary>
    public TunnelMetadata Tunnel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Descriptor->Flags & PacketDescriptor.FlagTunnel) != 0
            ? new(Descriptor->TunnelId, new IPv4Address(Descriptor->TunnelSource), new IPv4Address(Descriptor->TunnelDestination))
            : default;
        set
        {
            Descriptor->TunnelId = value.Id;
            Descriptor->TunnelSource = value.Source.Value;
            Descriptor->TunnelDestination = value.Destination.Value;
            Descriptor->Flags |= PacketDescriptor.FlagTunnel;
        }
    }

    /// <summary>Sets the frame's length; false (nothing changed) when it does not fit before the buffer's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySetLength(int length)
    {
        if ((uint)length > (uint)(Descriptor->Capacity - Descriptor->DataOffset)) return false;
        Descriptor->Length = (ushort)length;
        Descriptor->PacketLength = (uint)length;
        return true;
    }

    /// <summary>
    /// Grows the frame at the front by <paramref name="count"/> bytes taken from the headroom (to push an
    /// encapsulation) and returns them; false when the headroom is too small.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPrepend(int count, out Span<byte> prepended)
    {
        if ((uint)count > (uint)Descriptor->DataOffset)
        {
            prepended = default;
            return false;
        }
        Descriptor->DataOffset -= (ushort)count;
        Descriptor->Length += (ushort)count;
        Descriptor->PacketLength = Descriptor->Length;
        prepended = new Span<byte>(Descriptor->Buffer + Descriptor->DataOffset, count);
        return true;
    }

    /// <summary>Removes <paramref name="count"/> bytes from the front of the frame (to pop an encapsulation); false when the frame is shorter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryTrimFront(int count)
    {
        if ((uint)count > (uint)Descriptor->Length) return false;
        Descriptor->DataOffset += (ushort)count;
        Descriptor->Length -= (ushort)count;
        Descriptor->PacketLength = Descriptor->Length;
        return true;
    }

    /// <summary>Resets the frame to empty with the pool's standard headroom and clears the metadata.</summary>
    public void Reset() => PacketPool.ResetDescriptor(Descriptor);

    /// <summary>Returns the buffer to the pool it came from. The handle must not be used afterwards.</summary>
    public void Release() => PacketPool.ReturnToOwner(this);

    /// <inheritdoc />
    public bool Equals(PacketBuffer other) => Descriptor == other.Descriptor;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PacketBuffer other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => ((nint)Descriptor).GetHashCode();

    /// <summary>Handle equality: the same buffer.</summary>
    public static bool operator ==(PacketBuffer left, PacketBuffer right) => left.Descriptor == right.Descriptor;

    /// <summary>Handle inequality.</summary>
    public static bool operator !=(PacketBuffer left, PacketBuffer right) => left.Descriptor != right.Descriptor;
}
