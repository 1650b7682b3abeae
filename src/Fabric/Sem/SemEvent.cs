namespace Dpr.Fabric.Sem;

/// <summary>Something the SEM controller reported; <see cref="Line"/> is the (1-based) line of the monitor output it came from.</summary>
public abstract record SemEvent(int Line);
