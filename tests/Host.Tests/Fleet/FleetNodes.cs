namespace Dpr.Host.Tests.Fleet;

/// <summary>
/// Tests that start several fleet nodes (processes or in-process hosts) and PostgreSQL: they run alone, so
/// on a 2-core CI machine the cluster's heartbeats and the boards' hand-offs do not compete with the rest
/// of the suite (a starved node is downed by the split-brain resolver like a dead one).
/// </summary>
[CollectionDefinition(nameof(FleetNodes), DisableParallelization = true)]
public sealed class FleetNodes;
