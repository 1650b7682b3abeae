namespace Dpr.Fabric.Drivers;

/// <summary>A module did not behave: the wrong module answers, it reports an error, or it does not finish in time.</summary>
public sealed class DriverException(string partition, string message) : Exception($"partition '{partition}': {message}")
{
    public string Partition { get; } = partition;
}
