namespace Dpr.Fabric.Modules;

/// <summary>
/// What <see cref="ModuleOnboarding.Add"/> did: the module now served, or why not — the partial fits no
/// partition (<see cref="Fit"/> says which frames fall outside which), or it fits but the manifest
/// cannot be served (<see cref="Problem"/>: a name already taken, a .hwh for another device...).
/// </summary>
public sealed record OnboardingResult(PartitionFit Fit, ModuleEntry? Module, ModuleProblem? Problem)
{
    public bool Added => Module is not null;

    public string Reason => Problem is { } p ? $"{p.Field}: {p.Message}" : Fit.Reason;
}
