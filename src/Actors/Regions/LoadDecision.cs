namespace Dpr.Actors.Regions;

/// <summary>What <see cref="RegionState.DecideLoad"/> says about a load request.</summary>
public abstract record LoadDecision
{
    private LoadDecision()
    {
    }

    /// <summary>The module is loaded and running: nothing to write.</summary>
    public static LoadDecision Hit { get; } = new Loaded();

    /// <summary>The partition must be written.</summary>
    public static LoadDecision Swap { get; } = new Write();

    /// <summary>The request cannot be served; <paramref name="Reason"/> says why.</summary>
    public sealed record Refuse(string Reason) : LoadDecision;

    public sealed record Loaded : LoadDecision;

    public sealed record Write : LoadDecision;
}
