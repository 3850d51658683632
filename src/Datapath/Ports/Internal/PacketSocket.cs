using System.Runtime.InteropServices;
using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Ports.Internal;

/// An AF_PACKET socket's descriptor together with the native message arrays recvmmsg and sendmmsg use, so both
/// are released at once and only when no burst holds a reference (bursts DangerousAddRef the handle): disposing
/// the port while a worker is inside recvmmsg cannot free memory the kernel is writing to, nor close a descriptor
/// number that another open could reuse.
internal sealed unsafe class PacketSocket : SafeHandle
{
    public const int MaximumBurst = PacketBatch.MaximumSize;
    /// Bytes of ancillary data per received message: room for one PACKET_AUXDATA message (a 16-byte cmsghdr and
    /// the 20-byte struct tpacket_auxdata, padded), rounded up.
    public const int ControlSize = 64;

    private readonly void* _memory;

    public PacketSocket(int descriptor) : base(-1, ownsHandle: true)
    {
        // Receive and transmit have their own arrays: one thread may receive while another transmits.
        nuint size = (nuint)(2 * MaximumBurst * (sizeof(MultipleMessageHeader) + sizeof(IoVector)) + MaximumBurst * ControlSize);
        _memory = NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(_memory, size);
        Receive = (MultipleMessageHeader*)_memory;
        Transmit = Receive + MaximumBurst;
        ReceiveVectors = (IoVector*)(Transmit + MaximumBurst);
        TransmitVectors = ReceiveVectors + MaximumBurst;
        ReceiveControl = (byte*)(TransmitVectors + MaximumBurst);
        // One vector per message, wired once: a burst only fills in each vector's base and length.
        for (int i = 0; i < MaximumBurst; i++)
        {
            Receive[i].Header.Vectors = ReceiveVectors + i;
            Receive[i].Header.VectorCount = 1;
            Receive[i].Header.Control = ReceiveControl + i * ControlSize;
            Transmit[i].Header.Vectors = TransmitVectors + i;
            Transmit[i].Header.VectorCount = 1;
        }
        SetHandle(descriptor);
    }

    public MultipleMessageHeader* Receive { get; }
    public MultipleMessageHeader* Transmit { get; }
    public IoVector* ReceiveVectors { get; }
    public IoVector* TransmitVectors { get; }
    /// Each received message's ancillary data (<see cref="ControlSize"/> bytes each); the kernel shortens each
    /// message's ControlLength to what it wrote, so a burst sets it back first.
    public byte* ReceiveControl { get; }

    public int Descriptor => (int)handle;

    public override bool IsInvalid => handle == -1;

    protected override bool ReleaseHandle()
    {
        LinuxSockets.close((int)handle);
        NativeMemory.AlignedFree(_memory);
        return true;
    }
}
