namespace Dpr.Fabric.Drivers;

/// <summary>Where a master sees a slave interface of an IP instance (a <c>MEMRANGE</c> element).</summary>
public sealed record AddressRange(string Instance, string SlaveInterface, string MasterInterface, string MemoryType, ulong Base, ulong High)
{
    public ulong Size => High - Base + 1;
}
