import { describe, expect, it } from 'vitest';
import { createConsoleHandlebars } from '../../console/view-engine.js';

describe('console view engine', () => {
  const hbs = createConsoleHandlebars();
  const render = (source: string, data: Record<string, unknown>) => hbs.compile(source)(data);

  it('escapes every value by default, template syntax included', () => {
    expect(render('<p>{{text}}</p>', { text: '<script>alert(1)</script> {{7*7}}' })).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}</p>');
  });

  it('writes our own URLs readably and refuses anything that is not a path or a web link', () => {
    expect(render('<a href="{{href url}}">', { url: '/console/inbox?view=all&after=12' })).toBe('<a href="/console/inbox?view=all&amp;after=12">');
    expect(render('<a href="{{href url}}">', { url: '/console/inbox?q=a"b' })).toBe('<a href="/console/inbox?q&#x3D;a&quot;b">');
    expect(render('<a href="{{href url}}">', { url: 'javascript:alert%281%29' })).toBe('<a href="#">');
    expect(render('<a href="{{href url}}">', { url: '//evil.example/x' })).toBe('<a href="#">');
    expect(render('<a href="{{href url}}">', { url: 42 })).toBe('<a href="#">');
  });
});
