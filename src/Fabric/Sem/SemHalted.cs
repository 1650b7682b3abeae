namespace Dpr.Fabric.Sem;

/// <summary><c>HLT</c>: the controller entered the fatal error state and stopped (PG036 "State Change Report").</summary>
public sealed record SemHalted(int Line) : SemEvent(Line);
