namespace Dpr.Fuzz;

/// <summary>One file of a target's initial corpus; <see cref="Name"/> says where it came from.</summary>
public sealed record Seed(string Name, byte[] Bytes);
