namespace NetFabric.Simulation.Topology;

/// <summary>
/// Thrown by <see cref="TopologyBuilder.Build"/> when the topology is invalid; lists every problem
/// found, not just the first. Nothing is half-applied: no topology was produced.
/// </summary>
public sealed class TopologyValidationException : Exception
{
    /// <summary>Creates the exception for <paramref name="errors"/>, optionally naming the file they came from.</summary>
    public TopologyValidationException(IReadOnlyList<TopologyError> errors, string? fileName = null)
        : base(Format(errors, fileName))
    {
        Errors = errors;
        FileName = fileName;
    }

    /// <summary>Every problem found, in the order of the declarations.</summary>
    public IReadOnlyList<TopologyError> Errors { get; }

    /// <summary>The file the topology was loaded from, or null for a code-first topology.</summary>
    public string? FileName { get; }

    private static string Format(IReadOnlyList<TopologyError> errors, string? fileName)
    {
        string where = fileName is null ? "The topology" : $"The topology in '{fileName}'";
        string noun = errors.Count == 1 ? "problem" : "problems";
        return $"{where} has {errors.Count} {noun}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors);
    }
}
