using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Tests.Dpdk;

/// net_memif, DPDK's shared-memory packet interface (the one VPP and other user-space switches speak): a server and
/// a client port on one socket, both in this process, the way two applications on one host would be connected.
[Collection("Dpdk")]
public class DpdkMemifTests(DpdkFixture fixture)
{
    [Fact]
    public void A_memif_server_and_client_connect_and_carry_frames_both_ways()
    {
        var runtime = fixture.Require();
        string socket = Path.Combine(Path.GetTempPath(), $"nf-memif-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        try
        {
            using var pool = new PacketPool(64);
            string id = Guid.NewGuid().ToString("N")[..8];
            using var server = DpdkPort.Create(runtime, $"net_memif_s{id},role=server,id=0,socket={socket},socket-abstract=no");
            using var client = DpdkPort.Create(runtime, $"net_memif_c{id},role=client,id=0,socket={socket},socket-abstract=no");
            Assert.Equal("net_memif", server.DriverName);
            Assert.False(server.SuppressesGCTransition);

            // The connection is made by DPDK's interrupt thread once both ends exist.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while ((server.LinkState != LinkState.Up || client.LinkState != LinkState.Up) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.Equal(LinkState.Up, server.LinkState);
            Assert.Equal(LinkState.Up, client.LinkState);

            var toServer = DpdkTraffic.Frames(16, seed: 3);
            Assert.Equal(toServer.Length, DpdkTraffic.SendFromPool(client, pool, toServer));
            Assert.Equal(toServer, DpdkTraffic.Receive(server, toServer.Length));

            // And back. The server writes into buffers the client lends it: memif's client posts them as it polls its
            // receive queue, so the client polls once (nothing there yet) before the server sends.
            Assert.Empty(DpdkTraffic.Receive(client, 1, TimeSpan.FromMilliseconds(20)));
            var toClient = DpdkTraffic.Frames(16, seed: 4);
            Assert.Equal(toClient.Length, DpdkTraffic.SendFromPool(server, pool, toClient));
            var atClient = DpdkTraffic.ReceiveBuffers(client, toClient.Length);
            Assert.Equal(toClient, atClient.Select(b => b.Data.ToArray()));
            // Received mbufs go out of the other port as they are.
            Assert.Equal(atClient.Count, client.TxBurst(0, atClient.ToArray()));
            Assert.Equal(toClient, DpdkTraffic.Receive(server, toClient.Length));
            Assert.Equal(pool.Count, pool.Available);
        }
        finally
        {
            File.Delete(socket);
        }
    }
}
