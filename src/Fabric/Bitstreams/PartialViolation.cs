namespace Dpr.Fabric.Bitstreams;

/// <summary>Something a partial does that the allow-list (<see cref="PartialAllowList"/>) does not allow, and where.</summary>
/// <param name="Offset">Byte offset in the file of the word or packet header that does it.</param>
public sealed record PartialViolation(long Offset, string Problem)
{
    public override string ToString() => $"{Problem} (at byte offset {Offset}, 0x{Offset:X})";
}
