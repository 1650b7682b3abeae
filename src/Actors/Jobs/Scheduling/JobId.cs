namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>The identity of a submitted job, stable across requeues and restarts.</summary>
public readonly record struct JobId(Guid Value)
{
    public override string ToString() => Value.ToString("N");
}
