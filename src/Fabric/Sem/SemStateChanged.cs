namespace Dpr.Fabric.Sem;

/// <summary>A state change report, <c>SC xx</c> (PG036 "State Change Report").</summary>
public sealed record SemStateChanged(int Line, SemState State) : SemEvent(Line);
