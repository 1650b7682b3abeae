namespace Dpr.Actors.Jobs.Scheduling;

/// <summary>The answer to a submission: admitted, or refused with a reason and a time to retry after.</summary>
public abstract record Admission
{
    private Admission()
    {
    }

    public static Admission Admit { get; } = new Admitted();

    public sealed record Admitted : Admission;

    /// <param name="Message">Says what is full, its limit, and when to retry; safe to show a tenant.</param>
    /// <param name="RetryAfter">The scheduler's estimate of when a retry can succeed (zero for duplicates).</param>
    public sealed record Refused(RefusalReason Reason, string Message, TimeSpan RetryAfter) : Admission;
}
