namespace Dpr.Fabric.Drivers;

/// <summary>One IP instance of a hardware handoff (a <c>MODULE</c> element).</summary>
public sealed record IpInstance(string FullName, string Instance, string ModType, string Vlnv, IReadOnlyDictionary<string, string> Parameters);
