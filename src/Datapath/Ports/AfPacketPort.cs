using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Internal;
using NetFabric.Datapath.Ports.Internal;
using NetFabric.Datapath.Protocols;
using static NetFabric.Datapath.Ports.Internal.LinuxSockets;

namespace NetFabric.Datapath.Ports;

/// <summary>
/// A port on a Linux network interface through an AF_PACKET raw socket: every Ethernet frame the interface
/// receives (promiscuously, by default) comes out of <see cref="RxBurst"/>, and <see cref="TxBurst"/> puts frames on
/// the wire as they are. No driver, no privileges beyond CAP_NET_RAW, works on any interface including veth and
/// bridges; one copy per frame each way and one system call per burst (recvmmsg/sendmmsg). One queue.
/// </summary>
/// <remarks>
/// <para>Receive rents a burst of buffers from the pool, lets recvmmsg write frames straight into their data areas,
/// and returns the buffers it did not fill. The message arrays live in native memory built once, so a burst
/// allocates nothing. A frame longer than the pool's buffers arrives truncated (MSG_TRUNC) and is released and
/// counted in <see cref="PortStatistics.RxDrops"/>, as are frames the kernel dropped because the socket's queue
/// was full (read with PACKET_STATISTICS when <see cref="Statistics"/> is taken). Received buffers carry the
/// options' in-port; their timestamp is 0 (the port does not ask the kernel for timestamps).</para>
/// <para>The socket sets PACKET_IGNORE_OUTGOING (Linux 4.20+), so frames sent on the interface, by this port or
/// anyone else, are not received back. The kernel takes the outer VLAN tag out of every frame it receives (into
/// the socket buffer's metadata) before packet sockets see it; the port asks for PACKET_AUXDATA and puts the tag
/// back in front of the EtherType (using 4 bytes of the buffer's headroom; with none left, the frame is dropped and
/// counted), so trunk frames arrive as they were sent, inner tags included. A TCP or UDP frame whose sender left its
/// checksum for the NIC to fill in (checksum offload on a veth or tap; TP_STATUS_CSUMNOTREADY) gets it filled in on
/// receive, so what the port forwards is valid on the wire. Segmentation offloads (TSO, GSO, GRO) must be off on the
/// interface: their super-frames are longer than a buffer and are dropped and counted like any oversized frame.</para>
/// <para>Transmit hands the burst to sendmmsg and releases every buffer (the kernel has copied them). Frames the
/// kernel did not take — a full queue (EAGAIN, ENOBUFS) or a rejected frame, which ends the batch — are counted in
/// <see cref="PortStatistics.TxDrops"/>. EAGAIN and ENOBUFS are congestion, not errors; any other errno counts in
/// <see cref="PortStatistics.Errors"/>.</para>
/// <para><see cref="LinkState"/> asks the kernel for the interface flags (ioctl SIOCGIFFLAGS on the socket, no
/// allocation) at most once a second and is Up when the interface is both administratively up and running
/// (carrier present). Wait for Up before transmitting on a link just brought up: until the kernel's link watcher
/// has run, the device's queue is the noop discipline, which discards frames while sendmmsg reports success.</para>
/// <para>One thread may receive and one (other) thread may transmit at a time. Disposing while a burst is in
/// progress is safe: the socket closes when the burst returns; later bursts receive nothing and drop what they
/// are given.</para>
/// </remarks>
public sealed unsafe class AfPacketPort : IPacketPort
{
    private const int PacketOutgoingNotSupported = ENOPROTOOPT;

    private readonly PacketSocket _socket;
    private readonly PacketPool _pool;
    private readonly uint _inPort;
    private readonly PortCounters[] _counters = new PortCounters[1];
    private readonly byte[] _interfaceName; // NUL-padded to IFNAMSIZ, for SIOCGIFFLAGS
    private long _kernelDrops;
    private long _linkCheckedAt;
    private volatile int _linkState = -1;
    private volatile bool _disposed;

    /// <summary>
    /// Opens a raw socket bound to <paramref name="interfaceName"/>, non-blocking, not receiving outgoing frames, and
    /// (unless the options say otherwise) puts the interface in promiscuous mode.
    /// </summary>
    /// <param name="interfaceName">The interface's name as <c>ip link</c> shows it (at most 15 bytes), in this process's network namespace.</param>
    /// <param name="pool">Where received frames' buffers come from; frames longer than its buffers are dropped.</param>
    /// <param name="options">The port's name, in-port number and promiscuity; null for the defaults.</param>
    /// <exception cref="PortException">
    /// Not Linux, the interface does not exist, the process may not open raw sockets (needs root or CAP_NET_RAW),
    /// or the kernel refused a socket option. The message names the interface, the errno and its text, and what to do.
    /// </exception>
    public AfPacketPort(string interfaceName, PacketPool pool, AfPacketPortOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        ArgumentNullException.ThrowIfNull(pool);
        options ??= new AfPacketPortOptions();
        if (!OperatingSystem.IsLinux())
            throw new PortException($"Cannot open an AF_PACKET port on '{interfaceName}': AF_PACKET sockets exist only on Linux. Use a PcapPort or a RingPort on this platform.", interfaceName);

        Name = options.Name ?? interfaceName;
        InterfaceName = interfaceName;
        _pool = pool;
        _inPort = options.InPort;
        _interfaceName = new byte[IFNAMSIZ];
        if (Encoding.UTF8.GetByteCount(interfaceName) >= IFNAMSIZ || interfaceName.Contains('\0'))
            throw new PortException($"Cannot open an AF_PACKET port on '{interfaceName}': Linux interface names are at most 15 bytes, so no such interface exists. Check the name with 'ip link show'.", interfaceName, ENODEV);
        Encoding.UTF8.GetBytes(interfaceName, _interfaceName);

        // Look the interface up before creating the socket, so a wrong name is reported as such even without privileges.
        uint index;
        fixed (byte* name = _interfaceName) index = if_nametoindex(name);
        if (index == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw Failure(interfaceName, "the interface does not exist in this network namespace", errno,
                "Check the name with 'ip link show' (an interface moved into another namespace is not visible here).");
        }
        InterfaceIndex = (int)index;

        // Protocol 0 receives nothing until bind sets ETH_P_ALL for this one interface: no frame of another
        // interface can slip into the queue between socket() and bind().
        int descriptor = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (descriptor < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno is EPERM or EACCES
                ? Failure(interfaceName, "the process may not open raw packet sockets", errno,
                    "Run as root or grant CAP_NET_RAW (e.g. 'sudo setcap cap_net_raw,cap_net_admin+ep' on the executable).")
                : Failure(interfaceName, "socket(AF_PACKET, SOCK_RAW) failed", errno,
                    "Check that the kernel supports AF_PACKET (CONFIG_PACKET).");
        }
        _socket = new PacketSocket(descriptor);
        try
        {
            int one = 1;
            if (setsockopt(descriptor, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(int)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw Failure(interfaceName, "the kernel refused PACKET_IGNORE_OUTGOING", errno,
                    errno == PacketOutgoingNotSupported ? "Linux 4.20 or later is required." : "Check the kernel's AF_PACKET support.");
            }

            // Without it the outer VLAN tag of every received frame would be lost (see the remarks).
            if (setsockopt(descriptor, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(int)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw Failure(interfaceName, "the kernel refused PACKET_AUXDATA", errno, "Check the kernel's AF_PACKET support.");
            }

            var address = new SockaddrLl { Family = AF_PACKET, Protocol = HostToNetwork(ETH_P_ALL), InterfaceIndex = InterfaceIndex };
            if (bind(descriptor, &address, (uint)sizeof(SockaddrLl)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw Failure(interfaceName, "binding the socket to the interface failed", errno,
                    "Check that the interface still exists and is not being renamed.");
            }

            if (options.Promiscuous)
            {
                var membership = new PacketMembershipRequest { InterfaceIndex = InterfaceIndex, Type = PACKET_MR_PROMISC };
                if (setsockopt(descriptor, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(PacketMembershipRequest)) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw Failure(interfaceName, "putting the interface in promiscuous mode failed", errno,
                        "Run as root or grant CAP_NET_RAW, or open the port with Promiscuous = false.");
                }
            }
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The interface the port is bound to.</summary>
    public string InterfaceName { get; }

    /// <summary>The interface's index in its network namespace (as <c>ip link</c> numbers it).</summary>
    public int InterfaceIndex { get; }

    /// <inheritdoc />
    public int QueueCount => 1;

    /// <summary>
    /// Up when the interface is administratively up and has carrier (IFF_UP and IFF_RUNNING); Down otherwise, when the
    /// interface is gone, or once disposed. Refreshed from the kernel at most once a second; allocation-free.
    /// </summary>
    public LinkState LinkState
    {
        get
        {
            if (_disposed) return LinkState.Down;
            long now = Stopwatch.GetTimestamp();
            int cached = _linkState;
            if (cached >= 0 && now - Volatile.Read(ref _linkCheckedAt) < Stopwatch.Frequency) return (LinkState)cached;
            var state = QueryLinkState();
            _linkState = (int)state;
            Volatile.Write(ref _linkCheckedAt, now);
            return state;
        }
    }

    /// <summary>
    /// The port's counters; <see cref="PortStatistics.RxDrops"/> includes the frames the kernel dropped because the
    /// socket's receive queue was full. Makes one getsockopt call; allocation-free.
    /// </summary>
    public PortStatistics Statistics
    {
        get
        {
            CollectKernelDrops();
            var statistics = PortCounters.Sum(_counters);
            return statistics with { RxDrops = statistics.RxDrops + Interlocked.Read(ref _kernelDrops) };
        }
    }

    /// <inheritdoc />
    public int RxBurst(int queue, Span<PacketBuffer> buffers)
    {
        CheckQueue(queue);
        if (_disposed) return 0;
        int wanted = Math.Min(buffers.Length, PacketSocket.MaximumBurst);
        int rented = _pool.RentBatch(buffers.Slice(0, wanted));
        // An empty pool leaves the frames in the socket's queue; if it overflows the kernel counts the drops.
        if (rented == 0) return 0;

        ref var counters = ref _counters[0];
        int count = 0;
        int delivered = 0;
        bool referenced = false;
        try
        {
            _socket.DangerousAddRef(ref referenced);
            var messages = _socket.Receive;
            var vectors = _socket.ReceiveVectors;
            for (int i = 0; i < rented; i++)
            {
                var descriptor = buffers[i].Descriptor;
                vectors[i].Base = descriptor->Buffer + descriptor->DataOffset;
                vectors[i].Length = (nuint)(descriptor->Capacity - descriptor->DataOffset);
                messages[i].Header.ControlLength = PacketSocket.ControlSize;
            }
            count = recvmmsg(_socket.Descriptor, messages, (uint)rented, MSG_DONTWAIT, null);
            if (count < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (EAGAIN or EINTR)) counters.Errors++;
                count = 0;
            }
            // The kernel's lengths and flags are read before the reference is dropped: the arrays live as long as the socket.
            for (int i = 0; i < count; i++)
            {
                var buffer = buffers[i];
                if ((messages[i].Header.Flags & MSG_TRUNC) != 0)
                {
                    counters.RxDrops++;
                    buffer.Release();
                    continue;
                }
                buffer.TrySetLength((int)messages[i].Length);
                if (!ApplyAuxiliaryData(buffer, in messages[i].Header))
                {
                    counters.RxDrops++;
                    buffer.Release();
                    continue;
                }
                buffer.InPort = _inPort;
                counters.RxBytes += buffer.Length;
                buffers[delivered++] = buffer;
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the reference: nothing was received.
        }
        finally
        {
            if (referenced) _socket.DangerousRelease();
        }
        counters.RxPackets += delivered;
        // Compaction only wrote below index count, so the unused rented buffers are still in place.
        if (count < rented) _pool.Return(buffers.Slice(count, rented - count));
        return delivered;
    }

    // Undoes what the kernel's offloads did to the frame before packet sockets saw it, from what PACKET_AUXDATA
    // reports: puts back the outer VLAN tag it took out (false when the buffer has no headroom for it), and fills in
    // a TCP/UDP checksum the sender left for the NIC (checksum offload on a veth or tap).
    private static bool ApplyAuxiliaryData(PacketBuffer buffer, in MessageHeader header)
    {
        if (header.ControlLength < ControlHeaderSize + AuxdataSize) return true;
        byte* control = (byte*)header.Control;
        if (*(int*)(control + 8) != SOL_PACKET || *(int*)(control + 12) != PACKET_AUXDATA) return true;
        uint status = *(uint*)(control + ControlHeaderSize);
        if ((status & TP_STATUS_VLAN_VALID) != 0)
        {
            // The tag and its TPID come in host order; an inner tag, if any, is still in the frame.
            ushort tci = *(ushort*)(control + ControlHeaderSize + 16);
            ushort tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ? *(ushort*)(control + ControlHeaderSize + 18) : EtherType.Vlan;
            if (buffer.Length < VlanTag.MacsLength || !VlanTag.TryPush(buffer, tpid, tci)) return false;
        }
        if ((status & TP_STATUS_CSUMNOTREADY) != 0) CompleteTransportChecksum(buffer.Data);
        return true;
    }

    // The sender's checksum field holds the folded pseudo-header sum; the sum over the whole segment, that field
    // included, complemented, is the checksum (what the NIC, or the kernel's own fallback, would have written).
    private static void CompleteTransportChecksum(Span<byte> frame)
    {
        var layout = default(PacketLayout);
        layout.LocateAny(frame);
        if (layout.IpVersion == 0) return;
        layout.LocateTransport(frame);
        int field = layout.TransportChecksumOffset;
        if (field < 0) return;
        ushort checksum = Checksum.Compute(frame[layout.Transport..layout.End]);
        if (layout.TransportKind == TransportKind.Udp) checksum = UdpHeader.TransmittedChecksum(checksum);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(field), checksum);
    }

    // struct cmsghdr on 64-bit Linux (cmsg_len, cmsg_level, cmsg_type), then struct tpacket_auxdata (tp_status,
    // tp_len, tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid).
    private const int ControlHeaderSize = 16;
    private const int AuxdataSize = 20;

    /// <inheritdoc />
    public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
    {
        CheckQueue(queue);
        ref var counters = ref _counters[0];
        int sent = 0;
        if (!_disposed)
        {
            bool referenced = false;
            try
            {
                _socket.DangerousAddRef(ref referenced);
                var messages = _socket.Transmit;
                var vectors = _socket.TransmitVectors;
                while (sent < buffers.Length)
                {
                    int chunk = Math.Min(buffers.Length - sent, PacketSocket.MaximumBurst);
                    for (int i = 0; i < chunk; i++)
                    {
                        var descriptor = buffers[sent + i].Descriptor;
                        vectors[i].Base = descriptor->Buffer + descriptor->DataOffset;
                        vectors[i].Length = (nuint)descriptor->Length;
                    }
                    int accepted = sendmmsg(_socket.Descriptor, messages, (uint)chunk, MSG_DONTWAIT);
                    if (accepted < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno is not (EAGAIN or ENOBUFS or EINTR)) counters.Errors++;
                        break;
                    }
                    for (int i = 0; i < accepted; i++) counters.TxBytes += buffers[sent + i].Length;
                    sent += accepted;
                    // sendmmsg stops at the first frame the kernel refuses; the rest of the burst is dropped.
                    if (accepted < chunk) break;
                }
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the reference: what was not sent is dropped below.
            }
            finally
            {
                if (referenced) _socket.DangerousRelease();
            }
        }
        counters.TxPackets += sent;
        counters.TxDrops += buffers.Length - sent;
        foreach (var buffer in buffers) buffer.Release();
        return sent;
    }

    private LinkState QueryLinkState()
    {
        bool referenced = false;
        try
        {
            _socket.DangerousAddRef(ref referenced);
            InterfaceRequest request = default;
            for (int i = 0; i < IFNAMSIZ; i++) request.Name[i] = _interfaceName[i];
            if (ioctl(_socket.Descriptor, SIOCGIFFLAGS, &request) != 0) return LinkState.Down;
            return (request.Flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) ? LinkState.Up : LinkState.Down;
        }
        catch (ObjectDisposedException)
        {
            return LinkState.Down;
        }
        finally
        {
            if (referenced) _socket.DangerousRelease();
        }
    }

    private void CollectKernelDrops()
    {
        if (_disposed) return;
        bool referenced = false;
        try
        {
            _socket.DangerousAddRef(ref referenced);
            PacketStatistics kernel = default;
            uint length = (uint)sizeof(PacketStatistics);
            // Reading resets the kernel's counters, so each read's drops are added exactly once.
            if (getsockopt(_socket.Descriptor, SOL_PACKET, PACKET_STATISTICS, &kernel, &length) == 0 && kernel.Drops != 0)
                Interlocked.Add(ref _kernelDrops, kernel.Drops);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (referenced) _socket.DangerousRelease();
        }
    }

    private static void CheckQueue(int queue)
    {
        if (queue != 0) ThrowHelper.ArgumentOutOfRange(nameof(queue), "An AF_PACKET port has one queue, 0.");
    }

    private static PortException Failure(string interfaceName, string what, int errno, string advice) =>
        new($"Cannot open an AF_PACKET port on interface '{interfaceName}': {what} (errno {errno}, {Marshal.GetPInvokeErrorMessage(errno)}). {advice}",
            interfaceName, errno);

    /// <summary>Closes the socket (leaving promiscuous mode) once no burst is using it, and takes the link down. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        _socket.Dispose();
    }
}
