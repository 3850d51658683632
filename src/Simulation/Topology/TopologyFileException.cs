namespace NetFabric.Simulation.Topology;

/// <summary>
/// Thrown by <see cref="TopologyFile"/> when the text is not well-formed YAML/JSON or does not follow
/// the topology schema. Names the file (when there is one), line and column (1-based).
/// </summary>
public sealed class TopologyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TopologyFileException(string? fileName, long line, long column, string problem, Exception? inner = null)
        : base($"{fileName ?? "<text>"}({line},{column}): {problem}", inner)
    {
        FileName = fileName;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file, or null when parsing text.</summary>
    public string? FileName { get; }

    /// <summary>The 1-based line of the problem.</summary>
    public long Line { get; }

    /// <summary>The 1-based column of the problem.</summary>
    public long Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
