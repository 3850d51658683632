namespace NetFabric.Datapath; /// <summary>x</summary>
public static class Placeholder {}
