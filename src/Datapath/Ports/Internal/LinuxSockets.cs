using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Ports.Internal;

/// The libc calls and kernel structures behind <see cref="AfPacketPort"/>. Every signature is blittable
/// (pointers, integers) so the source-generated stubs do no marshalling beyond saving errno; the assembly sets
/// DisableRuntimeMarshalling (for the DPDK bindings), so every signature must stay blittable.
/// Layouts follow the LP64 Linux ABI (x86-64, arm64) and stay correct on 32-bit Linux because every
/// pointer-sized C field is a pointer or nint/nuint here.
internal static unsafe partial class LinuxSockets
{
    private const string Libc = "libc";

    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    // O_NONBLOCK and O_CLOEXEC on every architecture .NET runs Linux on (not MIPS/SPARC/Alpha).
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;

    public const int SOL_PACKET = 263;
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int PACKET_AUXDATA = 8;
    // struct tpacket_auxdata.tp_status bits (linux/if_packet.h).
    public const uint TP_STATUS_CSUMNOTREADY = 0x8;
    public const uint TP_STATUS_VLAN_VALID = 0x10;
    public const uint TP_STATUS_VLAN_TPID_VALID = 0x40;
    public const ushort PACKET_MR_PROMISC = 1;

    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;

    public const nuint SIOCGIFFLAGS = 0x8913;
    public const short IFF_UP = 0x1;
    public const short IFF_RUNNING = 0x40;
    public const int IFNAMSIZ = 16;

    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11; // == EWOULDBLOCK on Linux
    public const int EACCES = 13;
    public const int ENODEV = 19;
    public const int ENOPROTOOPT = 92;
    public const int ENOBUFS = 105;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int bind(int fd, SockaddrLl* address, uint addressLength);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint valueLength);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, uint* valueLength);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial uint if_nametoindex(byte* name);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int recvmmsg(int fd, MultipleMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sendmmsg(int fd, MultipleMessageHeader* messages, uint count, int flags);

    /// htons: the kernel wants protocol numbers in network byte order.
    public static ushort HostToNetwork(ushort value) =>
        BitConverter.IsLittleEndian ? (ushort)((value >> 8) | (value << 8)) : value;
}

/// struct iovec.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVector
{
    public void* Base;
    public nuint Length;
}

/// struct msghdr.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public void* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public nuint VectorCount;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// struct mmsghdr: a msghdr and the byte count the kernel fills in.
[StructLayout(LayoutKind.Sequential)]
internal struct MultipleMessageHeader
{
    public MessageHeader Header;
    public uint Length;
}

/// struct sockaddr_ll (linux/if_packet.h).
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockaddrLl
{
    public ushort Family;
    public ushort Protocol; // network byte order
    public int InterfaceIndex;
    public ushort HardwareType;
    public byte PacketType;
    public byte AddressLength;
    public fixed byte Address[8];
}

/// struct packet_mreq (linux/if_packet.h).
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PacketMembershipRequest
{
    public int InterfaceIndex;
    public ushort Type;
    public ushort AddressLength;
    public fixed byte Address[8];
}

/// struct tpacket_stats: what the kernel received and dropped since the last read (reading resets it).
[StructLayout(LayoutKind.Sequential)]
internal struct PacketStatistics
{
    public uint Packets;
    public uint Drops;
}

/// struct ifreq, for SIOCGIFFLAGS: the name, then a union whose first member here is ifr_flags. The union is
/// as large as struct ifmap (24 bytes on LP64), so the whole request is 40 bytes.
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal unsafe struct InterfaceRequest
{
    public fixed byte Name[LinuxSockets.IFNAMSIZ];
    public short Flags;
}
