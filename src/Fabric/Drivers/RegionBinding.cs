namespace Dpr.Fabric.Drivers;

/// <summary>
/// What a partition's drivers are bound to. Every swap starts with <see cref="Invalidate"/>, and a
/// driver checks its generation before each access, so a driver kept across a swap fails with
/// <see cref="StaleDriverException"/> instead of writing registers of whatever is now loaded (the
/// stale-driver problem PYNQ users meet after reloading an overlay).
/// </summary>
public sealed class RegionBinding(string partition)
{
    private long _generation;

    public string Partition { get; } = partition;

    /// <summary>The module the current drivers are for; null while the partition is being rewritten or empty.</summary>
    public string? Module { get; private set; }

    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Called before the partition is rewritten: every driver bound so far is stale from now on.</summary>
    public void Invalidate()
    {
        lock (this)
        {
            Module = null;
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Called once the new module is in place; returns the generation its driver is bound to.</summary>
    public long Bind(string module)
    {
        lock (this)
        {
            Module = module;
            return Interlocked.Increment(ref _generation);
        }
    }

    public void Check(long generation, string module)
    {
        if (generation != Generation)
        {
            throw new StaleDriverException(Partition, module, generation, Generation);
        }
    }
}
