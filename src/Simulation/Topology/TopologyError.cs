namespace NetFabric.Simulation.Topology;

/// <summary>One problem found while validating a topology: which object, which field, what is wrong.</summary>
/// <param name="Object">The object, e.g. <c>router 'tenant-a' port 'net2'</c> or <c>link 'a/x' - 'b/y'</c>.</param>
/// <param name="Field">The field, e.g. <c>address</c>.</param>
/// <param name="Message">What is wrong, with the offending value.</param>
public sealed record TopologyError(string Object, string Field, string Message)
{
    /// <summary>Formats as <c>router 'tenant-a' port 'net2' field 'address': message</c>.</summary>
    public override string ToString() => $"{Object} field '{Field}': {Message}";
}
