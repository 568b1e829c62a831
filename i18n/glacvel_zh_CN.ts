<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>GlacvelAlgorithm</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="12"/>
        <source>Correlation</source>
        <translation>相关匹配</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="13"/>
        <source>Stable ground</source>
        <translation>稳定地表</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="14"/>
        <source>Fusion</source>
        <translation>融合</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="15"/>
        <source>Products</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/base.py" line="54"/>
        <source>Canceled; no output was written.</source>
        <translation>已取消；未写入任何输出。</translation>
    </message>
</context>
<context>
    <name>GlacvelProvider</name>
    <message>
        <location filename="../glacvel_plugin/processing_provider/provider.py" line="44"/>
        <source>Glacier velocity</source>
        <translation>冰川流速</translation>
    </message>
    <message>
        <location filename="../glacvel_plugin/processing_provider/provider.py" line="47"/>
        <source>Glacier velocity (glacvel {})</source>
        <translation>冰川流速 (glacvel {})</translation>
    </message>
</context>
</TS>
