namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

public class TopologyFileTests
{
    [Fact]
    public void The_two_tenant_YAML_example_loads_equal_to_the_same_topology_built_in_code()
    {
        TwoTenants.AssertSame(TwoTenants.Build(), TopologyFile.Parse(TwoTenants.Yaml));
    }

    [Fact]
    public void JSON_text_loads_too()
    {
        const string json = """
            {
              "bridges": [ { "name": "net1", "ports": [ { "name": "vm1", "exterior": "vm1-tap", "vlan": 10 }, { "name": "to-router" } ] } ],
              "routers": [ { "name": "r", "ports": [ { "name": "net1", "mac": "02:00:00:00:01:01", "address": "198.18.1.1/24" } ],
                             "routes": [ { "destination": "198.18.1.0/24", "port": "net1" }, { "destination": "10.0.0.0/8", "type": "reject" } ] } ],
              "links": [ [ "net1/to-router", "r/net1" ] ]
            }
            """;
        var expected = new TopologyBuilder()
            .Bridge("net1", b => b.Port("vm1", exterior: "vm1-tap", vlan: 10).Port("to-router"))
            .Router("r", r => r.Port("net1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24").Route("198.18.1.0/24", port: "net1").Reject("10.0.0.0/8"))
            .Link("net1/to-router", "r/net1")
            .Build();

        TwoTenants.AssertSame(expected, TopologyFile.Parse(json));
    }

    [Fact]
    public void Malformed_YAML_reports_file_line_and_column()
    {
        const string text = "routers:\n  - name: r\n    ports: [ { name: p, mac: \"02:00\n";
        var exception = Assert.Throws<TopologyFileException>(() => TopologyFile.Parse(text, fileName: "bad.yaml"));

        Assert.Equal("bad.yaml", exception.FileName);
        Assert.Equal(3, exception.Line);
        Assert.Equal(30, exception.Column);
        Assert.Contains("quoted scalar", exception.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"bad.yaml({exception.Line},{exception.Column}): ", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_is_reported_at_its_line_and_column()
    {
        const string text = "bridges:\n  - name: b\n    prots: []\n";
        var exception = Assert.Throws<TopologyFileException>(() => TopologyFile.Parse(text));

        Assert.Equal(3, exception.Line);
        Assert.Equal(5, exception.Column);
        Assert.Contains("unknown key 'prots' in a bridge", exception.Problem, StringComparison.Ordinal);
        Assert.Null(exception.FileName);
    }

    [Theory]
    [InlineData("routers:\n  - name: r\n    routes:\n      - { destination: 10.0.0.0/8, type: sideways }\n", 4, "unknown route type 'sideways'")]
    [InlineData("bridges:\n  - name: b\n    ports:\n      - { name: p, exterior: t, vlan: ten }\n", 4, "'vlan' must be an integer")]
    [InlineData("bridges:\n  - ports: []\n", 2, "missing 'name'")]
    [InlineData("bridges: nope\n", 1, "'bridges' must be a list")]
    [InlineData("links:\n  - [a/b]\n", 2, "a link is a list of two ports")]
    [InlineData("- just\n- a list\n", 1, "the topology must be a mapping")]
    public void Schema_violations_name_their_line(string text, int line, string problem)
    {
        var exception = Assert.Throws<TopologyFileException>(() => TopologyFile.Parse(text));
        Assert.Equal(line, exception.Line);
        Assert.Contains(problem, exception.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_well_formed_but_invalid_file_goes_through_the_same_validation_and_names_the_file()
    {
        const string text = """
            routers:
              - name: r
                ports:
                  - { name: net1, mac: "02:00:00:00:00:01", address: 198.18.1.1/24, exterior: t1 }
                  - { name: net2, mac: "02:00:00:00:00:02", address: 198.18.1.9/24, exterior: t2 }
            """;
        var path = Path.Combine(Path.GetTempPath(), $"nf-topology-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        try
        {
            var exception = Assert.Throws<TopologyValidationException>(() => TopologyFile.Load(path));
            Assert.Equal(path, exception.FileName);
            Assert.Equal("router 'r' port 'net2' field 'address': 198.18.1.9/24 overlaps port 'net1' (198.18.1.1/24)", Assert.Single(exception.Errors).ToString());
            Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_empty_file_is_an_empty_topology()
    {
        Assert.Empty(TopologyFile.Parse("").Devices);
        Assert.Empty(TopologyFile.Parse("# nothing yet\n").Devices);
    }

    [Fact]
    public void Reloading_a_file_against_its_predecessor_keeps_ids_and_bumps_the_version()
    {
        var first = TopologyFile.Parse(TwoTenants.Yaml);
        var edited = TwoTenants.Yaml.Replace("gateway: 198.18.10.5 }", "gateway: 198.18.10.5, weight: 3 }", StringComparison.Ordinal);
        var second = TopologyFile.Parse(edited, first);

        Assert.Equal(2, second.Version);
        Assert.Equal(first.Device("tenant-b").Id, second.Device("tenant-b").Id);
        Assert.Equal([first.Device("tenant-b").Id.Tag], first.ChangedTags(second));
    }

    [Fact]
    public void ToYaml_round_trips_through_Parse()
    {
        var topology = TwoTenants.Build();
        string yaml = TopologyFile.ToYaml(topology);

        TwoTenants.AssertSame(topology, TopologyFile.Parse(yaml));
        Assert.Contains("single-host", yaml, StringComparison.Ordinal);
        Assert.Contains("vlan: 10", yaml, StringComparison.Ordinal);
    }
}
