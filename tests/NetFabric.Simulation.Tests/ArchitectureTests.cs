using System.Reflection;

namespace NetFabric.Simulation.Tests;

/// The layering rules of docs/ARCHITECTURE.md, checked on the compiled assemblies.
public class ArchitectureTests
{
    private static readonly Assembly Datapath = Assembly.Load("NetFabric.Datapath");
    private static readonly Assembly Simulation = Assembly.Load("NetFabric.Simulation");

    private static string[] References(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(name => name.Name!).ToArray();

    [Fact]
    public void Datapath_depends_on_the_shared_framework_only()
    {
        var outside = References(Datapath).Where(name => !name.StartsWith("System", StringComparison.Ordinal) && name != "netstandard").ToArray();
        Assert.True(outside.Length == 0, "NetFabric.Datapath must not reference: " + string.Join(", ", outside));
    }

    [Fact]
    public void Simulation_carries_no_heavy_dependency_and_Datapath_does_not_depend_on_it()
    {
        var references = References(Simulation);
        var heavy = references.Where(name => name.StartsWith("Grpc", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
            || name.StartsWith("System.CommandLine", StringComparison.Ordinal)).ToArray();
        Assert.True(heavy.Length == 0, "NetFabric.Simulation must not reference: " + string.Join(", ", heavy));
        Assert.DoesNotContain("NetFabric.Simulation", References(Datapath));
    }

    [Fact]
    public void Every_public_type_of_the_libraries_lives_in_a_NetFabric_namespace()
    {
        var stray = Datapath.GetExportedTypes().Concat(Simulation.GetExportedTypes())
            .Where(type => type.Namespace is null || !type.Namespace.StartsWith("NetFabric.", StringComparison.Ordinal))
            .Select(type => type.FullName).ToArray();
        Assert.Empty(stray);
    }
}
