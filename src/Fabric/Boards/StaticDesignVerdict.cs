namespace Dpr.Fabric.Boards;

/// <summary>What <see cref="StaticDesignCheck"/> found, and why, in words for a log line, /readyz and the journal.</summary>
public sealed record StaticDesignVerdict(StaticDesignStatus Status, string Reason)
{
    /// <summary>False only for a foreign design: an unverified PL is served, as before the check existed, and logged.</summary>
    public bool Serves => Status != StaticDesignStatus.Foreign;
}
