using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Simulation.Engine;
using NetFabric.Testing;

namespace NetFabric.Simulation.Tests.RealPeers;

using NetFabric.Simulation.Topology;

/// Linux network namespaces are VMs on two subnets; their veths' root-side ends are AfPacketPorts of a pipeline
/// whose resolver simulates a bridge per subnet and a router between them. The kernel's ARP, ping and UDP stack
/// are the peers.
public class RouterRealPeersTests
{
    [Fact]
    public async Task Namespaces_on_two_subnets_ping_and_move_UDP_and_TCP_through_the_virtual_router()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string vm1 = net.Name("v1"), vm2 = net.Name("v2"), tap1 = net.Name("t1"), tap2 = net.Name("t2");
        net.CreateHost(vm1, tap1, net.Name("e1"), "198.18.1.10/24", "02:00:00:00:01:0a");
        net.CreateHost(vm2, tap2, net.Name("e2"), "198.18.2.20/24", "02:00:00:00:02:14");
        net.Exec(vm1, "ip", "route", "add", "default", "via", "198.18.1.1");
        net.Exec(vm2, "ip", "route", "add", "default", "via", "198.18.2.1");

        var topology = new TopologyBuilder()
            .Bridge("net1", b => b.Port("vm1", exterior: tap1).Port("uplink"))
            .Bridge("net2", b => b.Port("vm2", exterior: tap2).Port("uplink"))
            .Router("r1", r => r
                .Port("p1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24")
                .Port("p2", mac: "02:00:00:00:02:01", address: "198.18.2.1/24"))
            .Link("net1/uplink", "r1/p1")
            .Link("net2/uplink", "r1/p2")
            .Build();

        using var pool = new PacketPool(4096);
        using var port1 = new AfPacketPort(tap1, pool);
        using var port2 = new AfPacketPort(tap2, pool);
        using var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false, IdlePollsBeforeSleep = 256 });
        var interfaces = new Dictionary<string, uint> { [tap1] = pipeline.AddPort(port1), [tap2] = pipeline.AddPort(port2) };
        using var engine = new DecisionEngine(topology, interfaces) { Flows = pipeline.Flows };
        pipeline.Resolver = engine;
        pipeline.Start();
        try
        {
            // Across subnets: both VMs resolve their gateway by ARP, the router resolves each VM, and the reply
            // arrives with the TTL decremented by exactly one hop (Linux sends with 64).
            var ping = net.TryExec(vm1, "ping", "-c", "4", "-i", "0.3", "-W", "2", "198.18.2.20");
            Assert.True(ping.ExitCode == 0, $"ping across the router failed:\n{ping.StandardOutput}\n{ping.StandardError}");
            Assert.Contains("ttl=63", ping.StandardOutput);

            // TTL 1 expires at the router: the kernel reports the router port's time-exceeded message.
            var expired = net.TryExec(vm1, "ping", "-c", "1", "-t", "1", "-W", "2", "198.18.2.20");
            Assert.Contains("198.18.1.1", expired.StandardOutput);
            Assert.Contains("Time to live exceeded", expired.StandardOutput);

            // A UDP transfer across the router.
            const string receiver = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('198.18.2.20',9000))\ns.settimeout(5)\nn=0\ntry:\n  while n<100:\n    d,_=s.recvfrom(2048)\n    n+= d==b'router'*50\nexcept socket.timeout: pass\nprint(n)\n";
            const string sender = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(100):\n  s.sendto(b'router'*50,('198.18.2.20',9000))\n  time.sleep(0.002)\n";
            var receiving = Task.Run(() => net.TryExec(vm2, "/usr/bin/python3", "-c", receiver));
            await Task.Delay(300, TestContext.Current.CancellationToken);
            var sent = net.TryExec(vm1, "/usr/bin/python3", "-c", sender);
            Assert.True(sent.ExitCode == 0, sent.StandardError);
            var received = await receiving;
            Assert.Equal("100", received.StandardOutput.Trim());

            // A TCP transfer of 1 MiB across the router: the kernel's TCP stack checks every checksum and sequence.
            const string server = "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('198.18.2.20',9100))\ns.listen(1)\ns.settimeout(10)\nc,_=s.accept()\nc.settimeout(10)\nn=0\nwhile True:\n  d=c.recv(65536)\n  if not d: break\n  n+=len(d)\nprint(n)\n";
            const string client = "import socket\nc=socket.create_connection(('198.18.2.20',9100),timeout=10)\nc.sendall(b'x'*1048576)\nc.close()\n";
            var serving = Task.Run(() => net.TryExec(vm2, "/usr/bin/python3", "-c", server));
            await Task.Delay(300, TestContext.Current.CancellationToken);
            var connected = net.TryExec(vm1, "/usr/bin/python3", "-c", client);
            Assert.True(connected.ExitCode == 0, connected.StandardError);
            var served = await serving;
            Assert.True(served.ExitCode == 0, served.StandardError);
            Assert.Equal("1048576", served.StandardOutput.Trim());
        }
        finally
        {
            pipeline.Stop();
        }
        var stats = pipeline.Statistics;
        Assert.True(stats.ExactMatchHits + stats.MegaflowHits > 100, stats.ToString());
    }
}
