namespace Dpr.Fabric.Drivers;

/// <summary>A driver was used after its partition was rewritten.</summary>
public sealed class StaleDriverException(string partition, string module, long bound, long current)
    : Exception($"the driver for {module} in partition '{partition}' was bound at generation {bound}, but the partition has been rewritten since (generation {current}); bind a new driver")
{
    public string Partition { get; } = partition;

    public string Module { get; } = module;
}
