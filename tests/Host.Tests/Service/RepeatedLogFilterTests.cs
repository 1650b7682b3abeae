using Dpr.Host.Service;
using Dpr.Tests;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;
using Serilog.Parsing;

namespace Dpr.Host.Tests.Service;

public class RepeatedLogFilterTests
{
    private readonly FakeTimeProvider _time = new();

    private static LogEvent Event(LogEventLevel level, string template, string source = "Dpr.Test") =>
        new(DateTimeOffset.UtcNow, level, null, new MessageTemplateParser().Parse(template),
            [new LogEventProperty("SourceContext", new ScalarValue(source))]);

    [Fact]
    public void A_repeated_error_is_written_a_burst_a_window_and_the_next_one_names_what_was_left_out()
    {
        var filter = new RepeatedLogFilter(_time, burst: 3, window: TimeSpan.FromSeconds(60));

        var written = Enumerable.Range(0, 1000).Count(_ => filter.IsEnabled(Event(LogEventLevel.Error, "Journal down: {Cause}")));
        Assert.Equal(3, written);

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(filter.IsEnabled(Event(LogEventLevel.Error, "Journal down: {Cause}")));
        _time.Advance(TimeSpan.FromSeconds(1));
        var next = Event(LogEventLevel.Error, "Journal down: {Cause}");
        Assert.True(filter.IsEnabled(next));
        Assert.Contains("998 more", next.Properties["Suppressed"].ToString());

        var after = Event(LogEventLevel.Error, "Journal down: {Cause}");
        Assert.True(filter.IsEnabled(after));
        Assert.False(after.Properties.ContainsKey("Suppressed"));
    }

    [Fact]
    public void Different_messages_and_sources_have_their_own_budget_and_information_passes()
    {
        var filter = new RepeatedLogFilter(_time, burst: 1);

        Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, "A {X}")));
        Assert.False(filter.IsEnabled(Event(LogEventLevel.Warning, "A {X}")));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, "B {X}")));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, "A {X}", source: "Other")));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(filter.IsEnabled(Event(LogEventLevel.Information, "A {X}"))));
    }

    [Fact]
    public void Events_rate_limited_where_they_are_made_pass_untouched()
    {
        var filter = new RepeatedLogFilter(_time, burst: 1);
        LogEvent Limited()
        {
            var e = Event(LogEventLevel.Warning, "Authentication failed from {Source}");
            e.AddOrUpdateProperty(new LogEventProperty(RepeatedLogFilter.RateLimitedProperty, new ScalarValue(true)));
            return e;
        }

        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(filter.IsEnabled(Limited())));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, "Authentication failed from {Source}")));
        Assert.False(filter.IsEnabled(Event(LogEventLevel.Warning, "Authentication failed from {Source}")));
    }

    [Fact]
    public void A_wall_clock_jump_changes_nothing()
    {
        var clock = new JumpingClock();
        var filter = new RepeatedLogFilter(clock, burst: 1, window: TimeSpan.FromSeconds(60));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Error, "E")));

        clock.Jump(TimeSpan.FromDays(365 * 50));

        Assert.False(filter.IsEnabled(Event(LogEventLevel.Error, "E")));
    }
}
