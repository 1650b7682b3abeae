namespace Dpr.Actors.Jobs;

/// <summary>An event in a board's job journal (<c>jobs-{board}</c>).</summary>
public interface IJobEvent : IDprMessage
{
    Guid JobId { get; }

    DateTimeOffset At { get; }
}
