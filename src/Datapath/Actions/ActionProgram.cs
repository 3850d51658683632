using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Actions;

// STUB: the lead's placeholder so the pipeline compiles; the actions engineer replaces this file.
/// <summary>A compiled, allocation-free list of packet actions.</summary>
public sealed class ActionProgram
{
    private readonly uint[] _outputs;

    internal ActionProgram(uint[] outputs) => _outputs = outputs;

    /// <summary>A program that drops every packet.</summary>
    public static ActionProgram Drop { get; } = new([]);

    /// <summary>Starts a new program.</summary>
    public static ActionProgramBuilder CreateBuilder() => new();

    /// <summary>True when the program drops every packet.</summary>
    public bool IsDrop => _outputs.Length == 0;

    /// <summary>Applies the program to <paramref name="packet"/>, handing it (and any copies) to <paramref name="sink"/>.</summary>
    public void Execute(PacketBuffer packet, IActionSink sink)
    {
        if (_outputs.Length == 0)
        {
            sink.Drop(packet, DropReason.Action);
            return;
        }
        for (int i = 0; i < _outputs.Length - 1; i++)
            if (PacketPool.TryClone(packet, out var copy)) sink.Output(_outputs[i], copy);
            else sink.Drop(packet, DropReason.NoBuffer);
        sink.Output(_outputs[^1], packet);
    }

    /// <inheritdoc />
    public override string ToString() => IsDrop ? "drop" : string.Join(",", _outputs.Select(p => $"output:{p}"));
}

/// <summary>Builds an <see cref="ActionProgram"/>.</summary>
public sealed class ActionProgramBuilder
{
    private readonly List<uint> _outputs = [];

    /// <summary>Sends the packet (or a copy, when more outputs follow) to <paramref name="port"/>.</summary>
    public ActionProgramBuilder Output(uint port)
    {
        _outputs.Add(port);
        return this;
    }

    /// <summary>Compiles the program.</summary>
    public ActionProgram Build() => new([.. _outputs]);
}
