using System.Runtime.CompilerServices;

namespace NetFabric.Simulation.Engine;

/// <summary>
/// Builds a verdict's reason text only when someone will read it: for <see cref="SimulationContext.Explain"/>, the
/// interpolation's pieces are formatted while the simulation is traced and skipped otherwise, so an ordinary miss
/// pays nothing for the words a trace shows.
/// </summary>
[InterpolatedStringHandler]
public ref struct ReasonHandler
{
    private DefaultInterpolatedStringHandler _text;
    private readonly bool _enabled;

    /// <summary>Called by the compiler for <c>context.Explain($"…")</c>.</summary>
    public ReasonHandler(int literalLength, int formattedCount, SimulationContext context, out bool enabled)
    {
        ArgumentNullException.ThrowIfNull(context);
        _enabled = enabled = context.IsTracing;
        _text = _enabled ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    /// <summary>Appends a literal piece.</summary>
    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    /// <summary>Appends a formatted value.</summary>
    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    /// <summary>Appends a formatted value with a format string.</summary>
    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    /// <summary>Appends a string.</summary>
    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    internal string ToStringAndClear() => _enabled ? _text.ToStringAndClear() : "";
}
