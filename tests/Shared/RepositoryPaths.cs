using System.Reflection;

namespace NetFabric.Testing;

/// Paths of files in the repository, from the root recorded at build time (tests/Directory.Build.props).
internal static class RepositoryPaths
{
    public static string Root { get; } =
        typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);
}
