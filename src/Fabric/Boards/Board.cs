using Dpr.Fabric.Devices;

namespace Dpr.Fabric.Boards;

/// <summary>A board: its device and its reconfigurable partitions. Made by <see cref="BoardCatalog"/>, which validates it.</summary>
public sealed record Board(string Name, string Description, Device Device, IReadOnlyList<Partition> Partitions)
{
    public Partition Partition(string name) =>
        Partitions.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
        ?? throw new BoardProfileException("partition", $"board '{Name}' has no partition '{name}'; it has {string.Join(", ", Partitions.Select(p => p.Name))}");
}
