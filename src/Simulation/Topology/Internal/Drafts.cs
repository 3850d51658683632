namespace NetFabric.Simulation.Topology.Internal;

// The builder's mutable, unvalidated view of a declaration: raw text as the caller gave it, so
// every parse problem can be reported by Build together with the structural ones.

internal sealed class DeviceDraft(string name, bool isRouter)
{
    public string Name { get; } = name;
    public bool IsRouter { get; } = isRouter;
    public string KindName => IsRouter ? "router" : "bridge";
    public List<PortDraft> Ports { get; } = [];
    public List<RouteDraft> Routes { get; } = [];
    public List<StaticMacDraft> StaticMacs { get; } = [];
    public List<StaticArpDraft> StaticArp { get; } = [];
    public string Describe() => $"{KindName} '{Name}'";
}

// A class, not a record: two identical declarations (a duplicate port) must stay two keys.
internal sealed class PortDraft(string name, string? exterior, string? host, string? mac, string? address, int? vlan, bool singleHost)
{
    public string Name { get; } = name;
    public string? Exterior { get; } = exterior;
    public string? Host { get; } = host;
    public string? Mac { get; } = mac;
    public string? Address { get; } = address;
    public int? Vlan { get; } = vlan;
    public bool SingleHost { get; } = singleHost;
}

internal sealed record RouteDraft(string Destination, string? Port, string? Gateway, string? Source, int Weight, RouteType Type);

internal sealed record StaticMacDraft(string Mac, int? Vlan, string Port);

internal sealed record StaticArpDraft(string Address, string Mac);

internal sealed record LinkDraft(string A, string B)
{
    public string Describe() => $"link '{A}' - '{B}'";
}
