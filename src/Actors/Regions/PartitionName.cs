namespace Dpr.Actors.Regions;

/// <summary>The name of a reconfigurable partition of a board, e.g. <c>conv</c> or <c>pr_0</c>.</summary>
public readonly record struct PartitionName(string Value)
{
    public override string ToString() => Value;
}
